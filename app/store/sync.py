"""Compare the catalog with the installed genai-prices data; apply the differences as new versions.

Never rewrites history: a price genai-prices dates in the past that the catalog lacks starts
now; announced prices keep their date; a version not yet in force may be replaced or withdrawn.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from app.store import catalog_db
from app.store.catalog_files import cell
from app.store.price_versions import Prices, Version, peak_of, price_in_force, price_problems
from app.store.upstream import Timeline, UpstreamError, listed_models, timeline


class SyncRejected(ValueError):
    """The changes break a price rule; nothing was written."""


@dataclass(frozen=True, slots=True)
class PriceChange:
    model_id: str
    effective_from: datetime      # when the catalog's new version starts
    upstream_from: datetime       # when genai-prices says the price starts
    old: Prices | None            # the catalog's price at effective_from
    new: Prices | None            # None: a version not yet in force is withdrawn
    source: str


@dataclass
class SyncPlan:
    changes: list[PriceChange] = field(default_factory=list)
    new_models: list[tuple[str, str]] = field(default_factory=list)   # (genai provider, model id)
    unlisted: list[str] = field(default_factory=list)      # catalog models genai-prices no longer lists
    problems: list[str] = field(default_factory=list)      # models genai-prices prices in a way we cannot hold
    listed_upstream: dict[str, set[str]] = field(default_factory=dict)


def plan(session: Session, now: datetime) -> SyncPlan:
    """What differs between the stored catalog and genai-prices, as of now."""
    result = SyncPlan()
    stored = catalog_db.stored_versions(session)
    models = catalog_db.listed_models(session)
    matched: set[tuple[str, str]] = set()
    for model in models:
        try:
            found = timeline(model.provider, model.api_model)
        except UpstreamError as exc:
            result.problems.append(f"{model.id}: {exc}")
            continue
        history = stored.get(model.id, [])
        if found is None:
            if history and history[-1].source.startswith("genai-prices"):
                result.unlisted.append(model.id)
            continue
        matched.add((found.genai_provider, found.genai_id))
        result.changes += model_changes(model.id, history, found, now)
    result.listed_upstream = listed_models({model.provider for model in models})
    known = catalog_db.known_upstream(session) | matched
    result.new_models = sorted((provider, model_id) for provider, ids in result.listed_upstream.items()
                               for model_id in ids if (provider, model_id) not in known)
    return result


def model_changes(model_id: str, stored: list[Version], found: Timeline, now: datetime) -> list[PriceChange]:
    """The versions that make one model's prices from now on equal genai-prices'."""
    upstream = [Version(model_id, start, prices, found.source, now.date()) for start, prices in found.changes]
    current = list(stored)
    moments = sorted({now} | {v.effective_from for v in [*upstream, *stored] if v.effective_from > now})
    changes = []
    for moment in moments:
        # genai-prices' time-of-day prices are held at the day's dearest rate (upstream.timeline):
        # compared with the catalog's dearest window from the same start.
        want = price_in_force(upstream, moment)
        have = peak_of(current, moment)
        if have is not None and have.prices == want.prices:
            continue
        if have is not None and have.effective_from == moment and moment > now:
            current.remove(have)   # announced, not in force yet: replace or withdraw it
            before = peak_of(current, moment)
            if before is not None and before.prices == want.prices:
                changes.append(PriceChange(model_id, moment, want.effective_from, have.prices, None, found.source))
                continue
        changes.append(PriceChange(model_id, moment, want.effective_from, have and have.prices, want.prices,
                                   found.source))
        current.append(Version(model_id, moment, want.prices, found.source, now.date()))
    return changes


def apply(session: Session, changes: SyncPlan, now: datetime) -> int:
    """Write the plan's versions in the caller's transaction; return how many changed (SyncRejected first)."""
    problems = [f"{c.model_id} from {cell(c.effective_from)}: {problem}"
                for c in changes.changes if c.new is not None for problem in price_problems(c.new)]
    if problems:
        raise SyncRejected("; ".join(problems))
    stored = catalog_db.stored_versions(session)
    for model_id, model_changes_ in _by_model(changes.changes).items():
        moments = {change.effective_from for change in model_changes_}
        wanted = [v for v in stored.get(model_id, []) if v.effective_from not in moments]
        wanted += [Version(model_id, c.effective_from, c.new, c.source, now.date())
                   for c in model_changes_ if c.new is not None]
        catalog_db.replace_future(session, model_id, stored.get(model_id, []), wanted, now)
    catalog_db.remember_upstream(session, changes.listed_upstream, now.date())
    if changes.changes:
        catalog_db.bump_catalog_version(session)
    return len(changes.changes)


def _by_model(changes: Iterable[PriceChange]) -> dict[str, list[PriceChange]]:
    grouped: dict[str, list[PriceChange]] = {}
    for change in changes:
        grouped.setdefault(change.model_id, []).append(change)
    return grouped


def report(changes: SyncPlan) -> str:
    """The plan as text tables: price changes, new upstream models, models no longer listed."""
    parts = []
    if changes.changes:
        rows = [[c.model_id, cell(c.effective_from), cell(c.upstream_from), *_price_cells(c.old, c.new)]
                for c in changes.changes]
        parts.append(f"Price changes ({len(rows)}):\n" + _table(
            ["model", "effective from", "genai-prices date", "input", "output", "cached", "long context"], rows))
    if changes.new_models:
        parts.append(f"New models of our providers in genai-prices ({len(changes.new_models)}):\n"
                     + _table(["provider", "model"], [list(pair) for pair in changes.new_models]))
    if changes.unlisted:
        parts.append(f"No longer listed by genai-prices ({len(changes.unlisted)}):\n"
                     + _table(["model"], [[model_id] for model_id in changes.unlisted]))
    if changes.problems:
        parts.append("Cannot compare:\n" + "\n".join(f"  {problem}" for problem in changes.problems))
    return "\n\n".join(parts) if parts else "The catalog matches genai-prices."


def _price_cells(old: Prices | None, new: Prices | None) -> list[str]:
    if new is None:
        return ["(withdrawn)", "", "", ""]

    def tier(prices: Prices | None) -> str:
        if prices is None or prices.long_context_threshold is None:
            return "-"
        return f">{prices.long_context_threshold}: {cell(prices.long_input)}/{cell(prices.long_output)}"

    def pair(before: str, after: str) -> str:
        return after if before == after else f"{before} -> {after}"

    return [pair(cell(old and old.input) or "-", cell(new.input)),
            pair(cell(old and old.output) or "-", cell(new.output)),
            pair(cell(old and old.cached_input) or "-", cell(new.cached_input) or "-"),
            pair(tier(old), tier(new))]


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(line[i])) for line in [headers, *rows]) for i in range(len(headers))]
    lines = [headers, ["-" * width for width in widths], *rows]
    return "\n".join("  " + "  ".join(str(value).ljust(width) for value, width in zip(line, widths)).rstrip()
                     for line in lines)
