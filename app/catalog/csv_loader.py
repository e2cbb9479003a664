"""Read and validate models.csv; any bad cell stops start-up with file, line and column."""
from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Callable, Collection
from pathlib import Path

from app.catalog.model import COLUMNS, LEGACY_COLUMNS, TIER_COLUMNS, Model


class CatalogError(Exception):
    """The catalog file cannot be used; the message names file, line and column."""

    def __init__(self, path: str | Path, line: int | None, column: str | None, problem: str):
        where = f"{path}" + (f", line {line}" if line else "") + (f", column {column!r}" if column else "")
        super().__init__(f"{where}: {problem}")
        self.path, self.line, self.column, self.problem = str(path), line, column, problem


def _text(raw: str) -> str:
    if not raw:
        raise ValueError("must not be empty")
    return raw


def _optional(parse: Callable[[str], object]) -> Callable[[str], object]:
    return lambda raw: parse(raw) if raw != "" else None


def _price(raw: str) -> float:
    value = float(_text(raw))
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"must be a non-negative number, got {raw!r}")
    return value


def _positive_int(raw: str) -> int:
    value = int(_text(raw))
    if value <= 0:
        raise ValueError(f"must be a positive integer, got {raw!r}")
    return value


def _score(raw: str) -> float:
    value = float(raw)
    if not 0 <= value <= 100:
        raise ValueError(f"must be between 0 and 100, got {raw!r}")
    return value


def _flag(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered not in {"true", "false"}:
        raise ValueError(f"must be true or false, got {raw!r}")
    return lowered == "true"


def _date(raw: str) -> str:
    dt.date.fromisoformat(_text(raw))
    return raw


PARSERS: dict[str, Callable[[str], object]] = {
    "id": _text, "provider": _text, "model_name": _text, "api_model": _text, "default": _flag,
    "input_price_per_mtok": _price, "output_price_per_mtok": _price,
    "cached_input_price_per_mtok": _optional(_price),
    "long_context_threshold": _optional(_positive_int),
    "long_input_price_per_mtok": _optional(_price), "long_output_price_per_mtok": _optional(_price),
    "context_window": _positive_int, "max_output_tokens": _positive_int,
    "mmlu_score": _optional(_score), "mmlu_pro_score": _optional(_score),
    "model_size": _text, "tokenizer": _text, "prices_checked": _date, "source": _text,
    "released": _optional(_date),
}


def load_models(path: str | Path, known_providers: Collection[str]) -> list[Model]:
    """Parse every row of the catalog CSV, or raise CatalogError naming the first bad cell."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CatalogError(path, None, None, f"cannot read catalog: {exc}") from exc
    header = tuple(cell.strip() for cell in rows[0]) if rows else ()
    if header not in (COLUMNS, LEGACY_COLUMNS):
        raise CatalogError(path, 1, None, f"header must be exactly: {','.join(COLUMNS)}")
    numbered = [(number, _parse_row(path, number, row, known_providers, header))
                for number, row in enumerate(rows[1:], start=2) if any(cell.strip() for cell in row)]
    _check_catalog(path, numbered)
    return [model for _, model in numbered]


def _parse_row(path, line: int, row: list[str], known_providers: Collection[str],
               header: tuple[str, ...] = COLUMNS) -> Model:
    if len(row) != len(header):
        raise CatalogError(path, line, None, f"expected {len(header)} cells, found {len(row)}")
    values = {}
    for column, raw in zip(header, row):
        try:
            values[column] = PARSERS[column](raw.strip())
        except ValueError as exc:
            raise CatalogError(path, line, column, str(exc)) from exc
    if values["provider"] not in known_providers:
        raise CatalogError(path, line, "provider", f"unknown provider {values['provider']!r}")
    if not values["id"].startswith(values["provider"] + "/"):
        raise CatalogError(path, line, "id", f"must start with '{values['provider']}/'")
    present = [column for column in TIER_COLUMNS if values[column] is not None]
    if present and len(present) != len(TIER_COLUMNS):
        missing = next(column for column in TIER_COLUMNS if values[column] is None)
        raise CatalogError(path, line, missing, "long-context tier columns must be all set or all empty")
    return Model(**values)


def _check_catalog(path, numbered: list[tuple[int, Model]]) -> None:
    seen: dict[str, int] = {}
    defaults: dict[str, int] = {}
    for line, model in numbered:
        if model.id in seen:
            raise CatalogError(path, line, "id", f"duplicate id {model.id!r} (first on line {seen[model.id]})")
        seen[model.id] = line
        if model.default:
            if model.provider in defaults:
                raise CatalogError(path, line, "default",
                                   f"second default for {model.provider!r} (first on line {defaults[model.provider]})")
            defaults[model.provider] = line
    for provider in sorted({m.provider for _, m in numbered} - defaults.keys()):
        raise CatalogError(path, None, "default", f"provider {provider!r} has no default model")
