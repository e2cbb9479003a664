"""The reviewed catalog files: models.csv (facts, and the prices in force on prices_checked) and
price_history.csv (every dated price version). Read, checked against each other, written back.

price_history.csv's last column, ``window``, is empty for a price that holds all week and may be
left off; a vendor that prices by time of day has one row per window from one start
(app/store/price_windows.py). A models.csv row shows the dearest window in force on prices_checked.
"""
from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from app.catalog import CatalogError, Model, load_models
from app.catalog.model import COLUMNS
from app.store.price_versions import Prices, Version, history_problems, moment_label, peak_of, utc_moment
from app.store.price_windows import WindowError, parse_window
from app.vendors import VENDORS

HISTORY_COLUMNS = (
    "model_id", "effective_from", "input_price_per_mtok", "output_price_per_mtok",
    "cached_input_price_per_mtok", "long_context_threshold", "long_input_price_per_mtok",
    "long_output_price_per_mtok", "source", "checked_at", "window",
)
# models.csv / price_history.csv column -> Prices field
PRICE_COLUMNS = {
    "input_price_per_mtok": "input", "output_price_per_mtok": "output",
    "cached_input_price_per_mtok": "cached_input", "long_context_threshold": "long_context_threshold",
    "long_input_price_per_mtok": "long_input", "long_output_price_per_mtok": "long_output",
}


def history_path(models_csv: str | Path) -> Path:
    """price_history.csv beside models.csv."""
    return Path(models_csv).with_name("price_history.csv")


def read_catalog(models_csv: str | Path, history_csv: str | Path) -> tuple[list[Model], list[Version]]:
    """Both files, parsed and checked against each other (CatalogError naming the problem)."""
    models = load_models(models_csv, VENDORS.keys())
    versions = read_history(history_csv)
    check_consistent(models, versions, models_csv, history_csv)
    return models, versions


def read_history(path: str | Path) -> list[Version]:
    """Parse price_history.csv, or raise CatalogError naming file, line and column."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CatalogError(path, None, None, f"cannot read price history: {exc}") from exc
    if not rows or tuple(cell.strip() for cell in rows[0]) != HISTORY_COLUMNS:
        raise CatalogError(path, 1, None, f"header must be exactly: {','.join(HISTORY_COLUMNS)}")
    return [_version(path, line, row) for line, row in enumerate(rows[1:], start=2)
            if any(cell.strip() for cell in row)]


def _decimal(raw: str) -> Decimal:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"must be a decimal number, got {raw!r}") from None
    if not value.is_finite():
        raise ValueError(f"must be a decimal number, got {raw!r}")
    return value


def _moment(raw: str) -> datetime:
    # A date means 00:00 UTC, as vendors date their changes; an instant needs its offset.
    if len(raw) == 10:
        return utc_moment(date.fromisoformat(raw))
    moment = utc_moment(datetime.fromisoformat(raw))
    if moment.microsecond:
        raise ValueError(f"must be whole seconds, got {raw!r}")
    return moment


def _required(parse: Callable[[str], object]) -> Callable[[str], object]:
    def parse_required(raw: str):
        if raw == "":
            raise ValueError("must not be empty")
        return parse(raw)
    return parse_required


def _optional(parse: Callable[[str], object]) -> Callable[[str], object]:
    return lambda raw: None if raw == "" else parse(raw)


HISTORY_PARSERS: dict[str, Callable[[str], object]] = {
    "model_id": _required(str), "effective_from": _required(_moment),
    "input_price_per_mtok": _required(_decimal), "output_price_per_mtok": _required(_decimal),
    "cached_input_price_per_mtok": _optional(_decimal), "long_context_threshold": _optional(int),
    "long_input_price_per_mtok": _optional(_decimal), "long_output_price_per_mtok": _optional(_decimal),
    "source": _required(str), "checked_at": _required(date.fromisoformat), "window": parse_window,
}


def _version(path, line: int, row: list[str]) -> Version:
    if len(row) == len(HISTORY_COLUMNS) - 1:   # the window left off: one price all week
        row = [*row, ""]
    if len(row) != len(HISTORY_COLUMNS):
        raise CatalogError(path, line, None, f"expected {len(HISTORY_COLUMNS)} cells, found {len(row)}")
    values = {}
    for column, raw in zip(HISTORY_COLUMNS, row):
        try:
            values[column] = HISTORY_PARSERS[column](raw.strip())
        except (ValueError, WindowError) as exc:
            raise CatalogError(path, line, column, str(exc)) from exc
    prices = Prices(**{field: values[column] for column, field in PRICE_COLUMNS.items()})
    return Version(values["model_id"], values["effective_from"], prices, values["source"], values["checked_at"],
                   window=values["window"])


def check_consistent(models: list[Model], versions: list[Version], models_csv, history_csv) -> None:
    """Every version names a catalog model and makes sense; every model's row shows its price on prices_checked."""
    by_model: dict[str, list[Version]] = {model.id: [] for model in models}
    for version in versions:
        if version.model_id not in by_model:
            raise CatalogError(history_csv, None, "model_id", f"{version.model_id!r} is not in {models_csv}")
        by_model[version.model_id].append(version)
    for model in models:
        history = by_model[model.id]
        problems = history_problems(history)
        if problems:
            raise CatalogError(history_csv, None, None, "; ".join(problems))
        in_force = peak_of(history, date.fromisoformat(model.prices_checked))
        if in_force is None:
            raise CatalogError(history_csv, None, None, f"{model.id}: no price in force on {model.prices_checked}")
        if in_force.prices != row_prices(model):
            raise CatalogError(models_csv, None, None, (
                f"{model.id}: its prices differ from {Path(history_csv).name}'s version from "
                f"{in_force.effective_from}, in force on prices_checked {model.prices_checked}"))


def row_prices(model: Model) -> Prices:
    """A models.csv row's prices, exactly as written (repr gives back the decimal literal)."""
    def exact(value: float | None) -> Decimal | None:
        return None if value is None else Decimal(repr(value))
    return Prices(exact(model.input_price_per_mtok), exact(model.output_price_per_mtok),
                  exact(model.cached_input_price_per_mtok), model.long_context_threshold,
                  exact(model.long_input_price_per_mtok), exact(model.long_output_price_per_mtok))


def model_prices(prices: Prices) -> dict[str, float | int | None]:
    """Prices as a catalog Model's price fields (floats, as the in-memory catalog holds them)."""
    def number(column: str, value: Decimal | int | None) -> float | int | None:
        return value if value is None or column == "long_context_threshold" else float(value)
    return {column: number(column, getattr(prices, name)) for column, name in PRICE_COLUMNS.items()}



def cell(value: object) -> str:
    """A value as the catalog files write it: plain decimals, true/false, empty for None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        return moment_label(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write_models(path: str | Path, rows: Iterable[tuple[Model, Prices]]) -> None:
    """Write models.csv: each model's facts with the given prices (exact decimals)."""
    def line(model: Model, prices: Prices) -> list[str]:
        return [cell(getattr(prices, PRICE_COLUMNS[column])) if column in PRICE_COLUMNS
                else cell(getattr(model, column)) for column in COLUMNS]
    _write(path, COLUMNS, (line(model, prices) for model, prices in rows))


def write_history(path: str | Path, versions: Iterable[Version]) -> None:
    """Write price_history.csv, one row per version, in the order given."""
    def line(version: Version) -> list[str]:
        prices = [cell(getattr(version.prices, field)) for field in PRICE_COLUMNS.values()]
        line = [version.model_id, cell(version.effective_from), *prices, version.source, cell(version.checked_at)]
        return line if version.window is None else [*line, version.window.label()]
    _write(path, HISTORY_COLUMNS, (line(version) for version in versions))


def _write(path: str | Path, header: Iterable[str], rows: Iterable[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
