"""Compare the catalog with genai-prices' price data; apply the differences as new versions.

The data is the installed package's, or a file or URL in the same format (price_source.py). Never
rewrites history: a price the data dates in the past that the catalog lacks starts now; announced
prices keep their date; a version not yet in force may be replaced or withdrawn. A partial source
adds and changes, never removes. A price set to 0 or moved more than tenfold is refused unless forced.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from app.catalog.service_tiers import ServiceTiers
from app.store import catalog_db
from app.store.catalog_files import cell
from app.store.newcomers import Newcomer, propose, vendor_key
from app.store.price_source import PriceData, installed
from app.store.price_versions import Prices, Version, peak_of, price_in_force, price_problems
from app.store.upstream import Timeline, UpstreamError, find_model, listed_models, tier_timelines, timeline

MAX_FACTOR = Decimal(10)   # a price moving more than this many times up or down needs --force


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
    source: str = "genai-prices"
    changes: list[PriceChange] = field(default_factory=list)
    new_models: list[Newcomer] = field(default_factory=list)   # upstream models the catalog lacks
    unlisted: list[str] = field(default_factory=list)      # catalog models the data no longer lists
    problems: list[str] = field(default_factory=list)      # models priced in a way we cannot hold
    baseline_lacking: int = 0     # models listed when the catalog was seeded that it does not carry
    tier_drift: list[tuple[str, str]] = field(default_factory=list)   # (model id, tier) unlike service_tiers.csv
    listed_upstream: dict[str, set[str]] = field(default_factory=dict)

    @property
    def addable(self) -> list[Newcomer]:
        return [newcomer for newcomer in self.new_models if newcomer.addable]


def plan(session: Session, now: datetime, data: PriceData | None = None,
         tiers: ServiceTiers | None = None) -> SyncPlan:
    """What differs between the stored catalog and the price data (installed by default), as of now;
    with ``tiers`` (service_tiers.csv), also which of its tier prices the data prices otherwise."""
    data = data or installed()
    result = SyncPlan(source=data.label)
    stored = catalog_db.stored_versions(session)
    models = catalog_db.listed_models(session)
    matched: set[tuple[str, str]] = set()
    for model in models:
        try:
            found = timeline(model.provider, model.api_model, data.snapshot, data.label)
        except UpstreamError as exc:
            result.problems.append(f"{model.id}: {exc}")
            continue
        history = stored.get(model.id, [])
        if found is None:
            if data.complete and history and history[-1].source.startswith("genai-prices"):
                result.unlisted.append(model.id)
            continue
        matched.add((found.genai_provider, found.genai_id))
        result.changes += model_changes(model.id, history, found, now)
        if tiers is not None:
            result.tier_drift += tier_drift(model, data, tiers)
    result.listed_upstream = listed_models({model.provider for model in models}, data.snapshot)
    _newcomers(session, result, data, matched, {model.id for model in models})
    return result


def _newcomers(session: Session, result: SyncPlan, data: PriceData, matched: set[tuple[str, str]],
               catalog_ids: set[str]) -> None:
    # Models listed when the catalog was seeded are what it was curated from (counted, not listed);
    # every model listed since that the catalog lacks is shown on every run until it is added.
    baseline = catalog_db.baseline_upstream(session)
    lacking = {(provider, model_id) for provider, ids in result.listed_upstream.items()
               for model_id in ids if (provider, model_id) not in matched}
    result.baseline_lacking = len(lacking & baseline)
    infos = {(provider.id, info.id): info for provider in data.snapshot.providers for info in provider.models}
    for provider, model_id in sorted(lacking - baseline):
        newcomer = propose(provider, infos[(provider, model_id)], data.label)
        if newcomer.model_id in catalog_ids:
            newcomer = Newcomer(provider, model_id, reason=f"the catalog already has an id {newcomer.model_id}")
        result.new_models.append(newcomer)


def tier_drift(model, data: PriceData, tiers: ServiceTiers) -> list[tuple[str, str]]:
    """The tiers whose dated prices in the data differ from service_tiers.csv's for one model."""
    info = find_model(model.provider, model.api_model, data.snapshot)
    try:
        upstream = tier_timelines(info) if info is not None else {}
    except UpstreamError:
        return []
    held = {tier: tuple((v.effective_from, v.prices) for v in models[model.id])
            for tier, models in tiers.versions.items() if model.id in models}
    return [(model.id, tier) for tier in sorted(upstream.keys() | held.keys())
            if upstream.get(tier, ()) != held.get(tier, ())]


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


def apply(session: Session, changes: SyncPlan, now: datetime, add_new: bool = False, force: bool = False) -> int:
    """Write the plan's versions (and, with add_new, its new models) in the caller's transaction.

    Returns how many price changes and models were written; SyncRejected first, writing nothing.
    """
    problems = [f"{c.model_id} from {cell(c.effective_from)}: {problem}"
                for c in changes.changes if c.new is not None for problem in price_problems(c.new)]
    if add_new:
        problems += [f"{v.model_id} from {cell(v.effective_from)}: {problem}" for newcomer in changes.addable
                     for v in newcomer.versions(now.date()) for problem in price_problems(v.prices)]
    if problems:
        raise SyncRejected("; ".join(problems))
    if not force:
        jumps = [f"{c.model_id} from {cell(c.effective_from)}: {jump}" for c in changes.changes for jump in leaps(c)]
        if jumps:
            raise SyncRejected("refused without --force: " + "; ".join(jumps))
    stored = catalog_db.stored_versions(session)
    for model_id, model_changes_ in _by_model(changes.changes).items():
        moments = {change.effective_from for change in model_changes_}
        wanted = [v for v in stored.get(model_id, []) if v.effective_from not in moments]
        wanted += [Version(model_id, c.effective_from, c.new, c.source, now.date())
                   for c in model_changes_ if c.new is not None]
        catalog_db.replace_future(session, model_id, stored.get(model_id, []), wanted, now)
    added = changes.addable if add_new else []
    for newcomer in added:
        catalog_db.add_model(session, newcomer, newcomer.versions(now.date()), now)
    if changes.changes or added:
        catalog_db.bump_catalog_version(session)
    return len(changes.changes) + len(added)


def leaps(change: PriceChange) -> list[str]:
    """The change's prices that drop to 0 or move more than MAX_FACTOR times."""
    if change.old is None or change.new is None:
        return []
    found = []
    for name in ("input", "output", "cached_input", "long_input", "long_output"):
        old, new = getattr(change.old, name), getattr(change.new, name)
        if old is None or new is None or old == new:
            continue
        label = name.replace("_", " ")
        if new == 0:
            found.append(f"{label} {cell(old)} -> 0")
        elif old != 0 and not old / MAX_FACTOR <= new <= old * MAX_FACTOR:
            found.append(f"{label} {cell(old)} -> {cell(new)} (more than {MAX_FACTOR}-fold)")
    return found


def _by_model(changes: Iterable[PriceChange]) -> dict[str, list[PriceChange]]:
    grouped: dict[str, list[PriceChange]] = {}
    for change in changes:
        grouped.setdefault(change.model_id, []).append(change)
    return grouped


def report(changes: SyncPlan) -> str:
    """The plan as text tables: price changes, models to add, models no longer listed, what cannot be compared."""
    parts = []
    if changes.changes:
        rows = [[c.model_id, cell(c.effective_from), cell(c.upstream_from), *_price_cells(c.old, c.new),
                 "; ".join(leaps(c))] for c in changes.changes]
        parts.append(f"Price changes ({len(rows)}):\n" + _table(
            ["model", "effective from", "upstream date", "input", "output", "cached", "long context",
             "needs --force"], rows))
    if changes.addable:
        parts.append(f"New models of our providers, not in the catalog ({len(changes.addable)}; "
                     "add them with --apply --add-new):\n" + _table(
                         ["provider", "upstream model", "would add as", "from", "input", "output", "cached",
                          "long context", "context", "review"], _newcomer_rows(changes.addable)))
    if changes.unlisted:
        parts.append(f"No longer listed by {changes.source} ({len(changes.unlisted)}):\n"
                     + _table(["model"], [[model_id] for model_id in changes.unlisted]))
    if changes.tier_drift:
        parts.append(f"Service tier prices unlike service_tiers.csv ({len(changes.tier_drift)}; review, then "
                     "regenerate it with scripts/service_tiers.py):\n"
                     + _table(["model", "tier"], [list(pair) for pair in changes.tier_drift]))
    cannot = changes.problems + [f"{n.genai_provider}/{n.genai_id}: {n.reason}"
                                 for n in changes.new_models if not n.addable]
    if cannot:
        parts.append("Cannot compare:\n" + "\n".join(f"  {problem}" for problem in cannot))
    if not parts:
        parts.append(f"The catalog matches {changes.source}.")
    if changes.baseline_lacking:
        parts.append(f"({changes.baseline_lacking} older models of our providers, listed when the catalog was "
                     "seeded, are not carried.)")
    return "\n\n".join(parts)


def _newcomer_rows(newcomers: list[Newcomer]) -> list[list[str]]:
    rows = []
    for newcomer in newcomers:
        notes = "; ".join(newcomer.review_notes())
        for index, (start, prices) in enumerate(newcomer.timeline.changes):
            first = index == 0
            rows.append([vendor_key(newcomer.genai_provider) if first else "", newcomer.genai_id if first else "",
                         newcomer.model_id if first else "", cell(start), cell(prices.input), cell(prices.output),
                         cell(prices.cached_input) or "-", _tier(prices), str(newcomer.context_window) if first else "",
                         notes if first else ""])
    return rows


def _tier(prices: Prices | None) -> str:
    if prices is None or prices.long_context_threshold is None:
        return "-"
    return f">{prices.long_context_threshold}: {cell(prices.long_input)}/{cell(prices.long_output)}"


def _price_cells(old: Prices | None, new: Prices | None) -> list[str]:
    if new is None:
        return ["(withdrawn)", "", "", ""]
    tier = _tier

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
