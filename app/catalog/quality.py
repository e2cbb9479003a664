"""Published benchmark scores per model, read from quality.csv: each row a fact with its source.

A row's ``model`` is the catalog's ``model_name``: the vendor's name for the model, which every
provider serving that model shares, so one row scores all of its catalog rows. Where the model's
API name has since been routed to another checkpoint, the row says which (``served_as``), from
when and on whose word: the score stays the scored checkpoint's.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from app.catalog.csv_loader import CatalogError
from app.catalog.model import Model

QUALITY_COLUMNS = ("model", "benchmark", "score", "scale", "source", "date", "note",
                   "served_as", "served_as_since", "served_as_source")
SERVED_AS_COLUMNS = QUALITY_COLUMNS[-3:]
SCORE_COLUMNS = QUALITY_COLUMNS[:-3]   # a file without the served_as columns still loads
# Plausible ranges: a percentage, and an arena (Elo / Bradley-Terry) rating.
SCALES: dict[str, tuple[float, float]] = {"percent": (0.0, 100.0), "elo": (800.0, 2000.0)}
BENCHMARK_KEY = re.compile(r"[a-z][a-z0-9_]*")

QualityTable = dict[str, dict[str, "Score"]]


@dataclass(frozen=True, slots=True)
class ServedAs:
    """The checkpoint a model's API name now serves instead of the scored one, since when, per whom."""

    model: str
    since: str
    source: str

    def to_dict(self) -> dict[str, str]:
        return {"model": self.model, "since": self.since, "source": self.source}


@dataclass(frozen=True, slots=True)
class Score:
    """One published score: value, scale, where it was published and when."""

    score: float
    scale: str
    source: str
    date: str
    line: int = 0   # the quality.csv line, for error messages
    served_as: ServedAs | None = None   # set when the API name no longer serves the scored checkpoint

    def to_dict(self) -> dict[str, Any]:
        """Return the public view (the line number stays private)."""
        return {"score": self.score, "scale": self.scale, "source": self.source, "date": self.date,
                "served_as": None if self.served_as is None else self.served_as.to_dict()}


def quality_to_dict(quality: Mapping[str, Score]) -> dict[str, dict[str, Any]]:
    """Return a model's scores keyed by benchmark, in benchmark order."""
    return {benchmark: quality[benchmark].to_dict() for benchmark in sorted(quality)}


def load_quality(path: str | Path) -> QualityTable:
    """Parse quality.csv into {model: {benchmark: Score}}, or raise CatalogError naming the bad cell."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CatalogError(path, None, None, f"cannot read quality scores: {exc}") from exc
    header = tuple(cell.strip() for cell in rows[0]) if rows else ()
    if header not in (QUALITY_COLUMNS, SCORE_COLUMNS):
        raise CatalogError(path, 1, None, f"header must be exactly: {','.join(QUALITY_COLUMNS)} "
                                          f"(or without its last {len(SERVED_AS_COLUMNS)} columns)")
    table: QualityTable = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        model, benchmark, score = _parse_row(path, line, row, len(header))
        scores = table.setdefault(model, {})
        if benchmark in scores:
            raise CatalogError(path, line, "benchmark",
                               f"second {benchmark!r} score for {model!r} (first on line {scores[benchmark].line})")
        scores[benchmark] = score
    return table


def _parse_row(path, line: int, row: list[str], width: int) -> tuple[str, str, Score]:
    if len(row) != width:
        raise CatalogError(path, line, None, f"expected {width} cells, found {len(row)}")
    cells = dict.fromkeys(SERVED_AS_COLUMNS, "")
    cells.update(zip(QUALITY_COLUMNS, (cell.strip() for cell in row)))
    checks = (("model", _model), ("benchmark", _benchmark), ("scale", _scale), ("source", _source),
              ("date", _date))
    for column, check in checks:
        try:
            check(cells[column])
        except ValueError as exc:
            raise CatalogError(path, line, column, str(exc)) from exc
    try:
        value = _score(cells["score"], cells["scale"])
    except ValueError as exc:
        raise CatalogError(path, line, "score", str(exc)) from exc
    served_as = _served_as(path, line, cells)
    return cells["model"], cells["benchmark"], Score(value, cells["scale"], cells["source"], cells["date"], line,
                                                     served_as)


def _served_as(path, line: int, cells: dict[str, str]) -> ServedAs | None:
    """The served_as columns: all empty (the API name serves the scored checkpoint) or all valid."""
    filled = [column for column in SERVED_AS_COLUMNS if cells[column]]
    if not filled:
        return None
    for column in SERVED_AS_COLUMNS:
        check = {"served_as": _model, "served_as_since": _date, "served_as_source": _source}[column]
        try:
            check(cells[column])
        except ValueError as exc:
            raise CatalogError(path, line, column, f"{exc} (served_as, its since date and its source go "
                                                   "together)") from exc
    return ServedAs(cells["served_as"], cells["served_as_since"], cells["served_as_source"])


def _model(raw: str) -> None:
    if not raw:
        raise ValueError("must not be empty")


def _benchmark(raw: str) -> None:
    if not BENCHMARK_KEY.fullmatch(raw):
        raise ValueError(f"must be a lower-case key such as gpqa_diamond, got {raw!r}")


def _scale(raw: str) -> None:
    if raw not in SCALES:
        raise ValueError(f"must be one of {', '.join(SCALES)}, got {raw!r}")


def _source(raw: str) -> None:
    parts = urlsplit(raw)
    if parts.scheme != "https" or not parts.netloc:
        raise ValueError(f"must be an https URL, got {raw!r}")


def _date(raw: str) -> None:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        raise ValueError(f"must be YYYY-MM-DD, got {raw!r}")
    dt.date.fromisoformat(raw)


def _score(raw: str, scale: str) -> float:
    value = float(raw)
    low, high = SCALES[scale]
    if not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"{scale} score must be between {low:g} and {high:g}, got {raw!r}")
    return value


def attach_quality(models: Iterable[Model], table: QualityTable, path: str | Path) -> list[Model]:
    """Give each model its scores, its mmlu_pro_score and, where models.csv has none, its mmlu_score
    from quality.csv.

    models.csv keeps both columns for the seed's shape. Its mmlu_pro_score must equal the sourced
    one (a mismatch, or a value quality.csv cannot source, is a CatalogError). Its mmlu_score (from
    shared/data/mmlu.csv) wins where filled and must then equal quality.csv's mmlu, if any; where
    empty, quality.csv's mmlu is served.
    """
    attached = []
    for model in models:
        quality = table.get(model.model_name, {})
        mmlu_pro = _sourced(model, model.mmlu_pro_score, quality.get("mmlu_pro"), "mmlu_pro", path, required=True)
        mmlu = _sourced(model, model.mmlu_score, quality.get("mmlu"), "mmlu", path, required=False)
        attached.append(dataclasses.replace(model, quality=quality, mmlu_score=mmlu, mmlu_pro_score=mmlu_pro))
    return attached


def _sourced(model: Model, seed: float | None, published: Score | None, benchmark: str, path,
             required: bool) -> float | None:
    """The seed column's value checked against quality.csv's score; the published one where it is empty."""
    published_score = None if published is None else published.score
    if seed is not None and seed != published_score and (required or published is not None):
        raise CatalogError(path, published.line if published else None, "score",
                           f"{model.id}: models.csv {benchmark}_score {seed} "
                           f"but quality.csv has {published_score} for {model.model_name!r} {benchmark}")
    return seed if seed is not None else published_score
