"""The catalog in the database: import from and export to the reviewed files, stored price versions.

History is never rewritten: a version that has taken effect keeps its prices, source and start;
only versions that have not taken effect yet may be replaced or withdrawn.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from app.catalog import CatalogError, Model
from app.store.catalog_files import PRICE_COLUMNS, cell, model_prices, read_catalog, write_history, write_models
from app.store.price_versions import Prices, Version, effective_ends, peak_of, price_in_force
from app.store.price_windows import Window, parse_schedule
from app.store.schema import CatalogModel, CatalogState, PriceVersion, Provider, UpstreamModel
from app.vendors import VENDORS

FACT_COLUMNS = ("model_name", "api_model", "context_window", "max_output_tokens", "mmlu_score",
                "mmlu_pro_score", "model_size", "tokenizer", "source")


class HistoryError(CatalogError):
    """A change would alter a price that is, or was, in force."""

    def __init__(self, problem: str):
        super().__init__("catalog", None, None, problem)


@dataclass
class ImportResult:
    models_added: list[str] = field(default_factory=list)
    models_unlisted: list[str] = field(default_factory=list)
    versions_added: int = 0
    versions_removed: int = 0
    changed: bool = False


def catalog_version(session: Session) -> int:
    """The catalog's version number, bumped by every change."""
    return session.scalar(select(CatalogState.version).where(CatalogState.id == 1))


def bump_catalog_version(session: Session) -> None:
    """Tell every worker the catalog changed (one atomic increment)."""
    session.execute(update(CatalogState).where(CatalogState.id == 1).values(
        version=CatalogState.version + 1, changed_at=datetime.now(UTC)))


def is_empty(session: Session) -> bool:
    """True before the first import."""
    return not session.scalar(select(func.count()).select_from(CatalogModel))


def stored_versions(session: Session) -> dict[str, list[Version]]:
    """model id -> its versions, oldest first."""
    rows = session.scalars(select(PriceVersion).order_by(PriceVersion.model_id, PriceVersion.effective_from,
                                                         PriceVersion.id))
    versions: dict[str, list[Version]] = {}
    for row in rows:
        versions.setdefault(row.model_id, []).append(to_version(row))
    return versions


def listed_models(session: Session) -> list[CatalogModel]:
    """The catalog's models in models.csv order."""
    return list(session.scalars(select(CatalogModel).where(CatalogModel.listed).order_by(CatalogModel.position)))


def to_version(row: PriceVersion) -> Version:
    prices = Prices(**{name: getattr(row, column) for column, name in PRICE_COLUMNS.items()})
    window = None
    if row.price_window:
        window = Window(row.price_window, parse_schedule(row.window_schedule) if row.window_schedule else None)
    return Version(row.model_id, row.effective_from, prices, row.source, row.checked_at, row.id, window)


def to_model(row: CatalogModel, prices: Prices) -> Model:
    """A stored model as the in-memory catalog's row, with the given prices."""
    return Model(id=row.id, provider=row.provider, default=row.is_default,
                 prices_checked=row.prices_checked.isoformat(),
                 released=row.released.isoformat() if row.released else None,
                 **{column: getattr(row, column) for column in FACT_COLUMNS}, **model_prices(prices))


def load_catalog(session: Session, moment: datetime) -> tuple[int, list[Model], dict[str, list[Version]]]:
    """The catalog version, the listed models (priced at moment) and every model's versions."""
    versions = stored_versions(session)
    models = []
    for row in listed_models(session):
        in_force = price_in_force(versions.get(row.id, ()), moment)
        if in_force is None:
            raise CatalogError("database", None, None, f"{row.id} has no price version in force at {moment}")
        models.append(to_model(row, in_force.prices))
    return catalog_version(session), models, versions


def seed_if_empty(session: Session, models_csv: str | Path, history_csv: str | Path,
                  now: datetime) -> ImportResult | None:
    """Import the files into an empty catalog, noting the genai-prices models listed today; else None."""
    if not is_empty(session):
        return None
    from app.store import upstream   # genai-prices and its data load in about half a second: only here
    result = import_files(session, models_csv, history_csv, now)
    remember_upstream(session, upstream.listed_models({row.provider for row in listed_models(session)}), now.date())
    return result


def import_files(session: Session, models_csv: str | Path, history_csv: str | Path, now: datetime) -> ImportResult:
    """Make the catalog match the files (CatalogError, or HistoryError, and nothing changes)."""
    models, versions = read_catalog(models_csv, history_csv)
    result = ImportResult()
    models_changed = _import_models(session, models, result)
    stored = stored_versions(session)
    wanted: dict[str, list[Version]] = {}
    for version in versions:
        wanted.setdefault(version.model_id, []).append(version)
    for model_id, history in wanted.items():
        added, removed = replace_future(session, model_id, stored.get(model_id, []), history, now)
        result.versions_added += added
        result.versions_removed += removed
    result.changed = bool(models_changed or result.models_unlisted or result.versions_added
                          or result.versions_removed)
    if result.changed:
        bump_catalog_version(session)
    return result


def _import_models(session: Session, models: list[Model], result: ImportResult) -> bool:
    """Upsert the file's models, unlist the others; say whether any row changed."""
    _upsert_providers(session, {model.provider for model in models})
    existing = {row.id: row for row in session.scalars(select(CatalogModel))}
    changed = False
    for position, model in enumerate(models):
        if model.id not in existing:
            result.models_added.append(model.id)
        changed |= _upsert_model(session, existing.get(model.id), model, position)
    listed = {model.id for model in models}
    result.models_unlisted = [row.id for row in existing.values() if row.listed and row.id not in listed]
    for model_id in result.models_unlisted:
        existing[model_id].listed = False
    session.flush()
    return changed


def replace_future(session: Session, model_id: str, stored: list[Version], wanted: list[Version],
                   now: datetime) -> tuple[int, int]:
    """Make a model's versions equal wanted, touching only versions after now; return (added, removed)."""
    if stored:
        _check_history(model_id, stored, wanted, now)
    stale = [v for v in stored if _key(v) not in {_key(w) for w in wanted}]
    fresh = [v for v in wanted if _key(v) not in {_key(s) for s in stored}]
    if not (stale or fresh):
        return 0, 0
    if stale:
        session.execute(delete(PriceVersion).where(PriceVersion.id.in_([v.id for v in stale])))
    ends = effective_ends(wanted)
    for version in stored:
        if version not in stale:   # the open version gets closed by a new one after it
            session.execute(update(PriceVersion).where(PriceVersion.id == version.id)
                            .values(effective_to=ends[version.effective_from]))
    session.add_all(_row(version, ends[version.effective_from]) for version in fresh)
    return len(fresh), len(stale)


def _key(version: Version) -> tuple:
    return version.effective_from, version.window, version.prices, version.source, version.checked_at


def _check_history(model_id: str, stored: list[Version], wanted: list[Version], now: datetime) -> None:
    # In force or past: stored versions from now or earlier. A new version may start now.
    # A version is known by its start and window: from one start, a vendor may price by window.
    past = {(v.effective_from, v.window_name or ""): v for v in stored if v.effective_from <= now}
    offered = {(v.effective_from, v.window_name or ""): v for v in wanted
               if v.effective_from < now or (v.effective_from, v.window_name or "") in past}
    for start, window in sorted(past.keys() | offered.keys()):
        old, new = past.get((start, window)), offered.get((start, window))
        when = cell(start) + (f" ({window})" if window else "")
        if old is None:
            raise HistoryError(f"{model_id}: a version from {when} would change prices already in force; "
                               f"date the change after {cell(now)}")
        if new is None or (old.window, old.prices, old.source, old.checked_at) != (
                new.window, new.prices, new.source, new.checked_at):
            raise HistoryError(f"{model_id}: the version from {when} has taken effect; "
                               f"it cannot be {'removed' if new is None else 'changed'}")


def export_files(session: Session, models_csv: str | Path, history_csv: str | Path) -> tuple[int, int]:
    """Write the listed models and their versions as the reviewed files; return (models, versions)."""
    models = listed_models(session)
    stored = stored_versions(session)
    rows = []
    for row in models:
        in_force = peak_of(stored.get(row.id, []), row.prices_checked)
        if in_force is None:
            raise CatalogError(models_csv, None, None, f"{row.id}: no price in force on {row.prices_checked}")
        rows.append((to_model(row, in_force.prices), in_force.prices))
    versions = [version for row in models for version in stored.get(row.id, [])]
    write_models(models_csv, rows)
    write_history(history_csv, versions)
    return len(rows), len(versions)


def remember_upstream(session: Session, listed: dict[str, set[str]], today: date) -> list[tuple[str, str]]:
    """Record genai-prices models not seen before; return them as (provider id, model id)."""
    known = known_upstream(session)
    new = sorted((provider, model) for provider, models in listed.items() for model in models
                 if (provider, model) not in known)
    if new:
        session.execute(insert(UpstreamModel), [{"provider_id": p, "model_id": m, "first_seen": today} for p, m in new])
    return new


def known_upstream(session: Session) -> set[tuple[str, str]]:
    return {(provider, model) for provider, model in session.execute(
        select(UpstreamModel.provider_id, UpstreamModel.model_id))}


def baseline_upstream(session: Session) -> set[tuple[str, str]]:
    """The genai-prices models listed when the catalog was seeded (the first day anything was noted)."""
    first = session.scalar(select(func.min(UpstreamModel.first_seen)))
    return {(provider, model) for provider, model in session.execute(
        select(UpstreamModel.provider_id, UpstreamModel.model_id).where(UpstreamModel.first_seen == first))}


def add_model(session: Session, newcomer, versions: list[Version], now: datetime) -> None:
    """Add (or relist) a model sync found upstream, at the end of the catalog, with its whole timeline."""
    _upsert_providers(session, {newcomer.model_id.split("/", 1)[0]})
    position = (session.scalar(select(func.max(CatalogModel.position))) or 0) + 1
    values = dict(provider=newcomer.model_id.split("/", 1)[0], position=position, listed=True,
                  model_name=newcomer.model_name, api_model=newcomer.api_model, is_default=False,
                  context_window=newcomer.context_window, max_output_tokens=newcomer.max_output_tokens,
                  mmlu_score=None, mmlu_pro_score=None, model_size="Unknown", tokenizer=newcomer.tokenizer,
                  prices_checked=now.date(), source=newcomer.timeline.source)
    row = session.get(CatalogModel, newcomer.model_id)
    if row is None:
        session.add(CatalogModel(id=newcomer.model_id, **values))
        session.flush()
    else:
        for column, value in values.items():
            setattr(row, column, value)
    replace_future(session, newcomer.model_id, stored_versions(session).get(newcomer.model_id, []), versions, now)


def _row(version: Version, effective_to: datetime | None) -> PriceVersion:
    schedule = version.window.schedule if version.window is not None else None
    return PriceVersion(model_id=version.model_id, effective_from=version.effective_from, effective_to=effective_to,
                        source=version.source, checked_at=version.checked_at,
                        price_window=version.window_name or "", window_schedule=schedule.label() if schedule else None,
                        **{column: getattr(version.prices, name) for column, name in PRICE_COLUMNS.items()})


def _upsert_providers(session: Session, keys: set[str]) -> None:
    stored = {row.key: row for row in session.scalars(select(Provider))}
    for key in sorted(keys):
        if key not in stored:
            session.add(Provider(key=key, name=VENDORS[key].name))
        elif stored[key].name != VENDORS[key].name:
            stored[key].name = VENDORS[key].name


def _upsert_model(session: Session, row: CatalogModel | None, model: Model, position: int) -> bool:
    values = {column: getattr(model, column) for column in FACT_COLUMNS}
    values.update(provider=model.provider, is_default=model.default, position=position, listed=True,
                  prices_checked=date.fromisoformat(model.prices_checked),
                  released=date.fromisoformat(model.released) if model.released else None)
    if row is None:
        session.add(CatalogModel(id=model.id, **values))
        return True
    changed = {column: value for column, value in values.items() if getattr(row, column) != value}
    for column, value in changed.items():
        setattr(row, column, value)
    return bool(changed)
