"""What each catalog model supports (tools, structured output, reasoning, vision), from capabilities.csv.

Every value comes from the vendor's own documentation, with its URL and the date it was checked;
an empty cell means unknown, never "no". ``unsupported`` is the gateway's check: with
``unknown_ok`` (an explicit model) only a documented "false" refuses; without it (``auto``) a
candidate must be documented to support everything the request uses.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

from app.catalog.csv_loader import CatalogError

FEATURES = ("tools", "structured_output", "reasoning", "vision")
COLUMNS = ("model_name", *FEATURES, "source", "checked", "note")
# The request parameter a 400 names for each feature (images are in ``messages``).
PARAMS = {"tools": "tools", "structured_output": "response_format", "reasoning": "reasoning_effort",
          "vision": "messages"}
# What a dialect's mapping refuses whatever the model can do (see app/agents/<dialect>.py).
DIALECT_LIMITS: dict[str, frozenset[str]] = {"anthropic": frozenset({"structured_output"})}

Capabilities = Mapping[str, bool]   # feature -> documented support; a missing feature is unknown


def load_capabilities(path: str | Path, model_names: Collection[str]) -> dict[str, dict[str, bool]]:
    """Parse capabilities.csv into {model_name: {feature: bool}}, or raise CatalogError naming the cell."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CatalogError(path, None, None, f"cannot read capabilities: {exc}") from exc
    if not rows or tuple(c.strip() for c in rows[0]) != COLUMNS:
        raise CatalogError(path, 1, None, f"header must be exactly: {','.join(COLUMNS)}")
    table: dict[str, dict[str, bool]] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        name, values = _row(path, line, row, model_names)
        if name in table:
            raise CatalogError(path, line, "model_name", f"duplicate model_name {name!r}")
        table[name] = values
    return table


def _row(path, line: int, row: list[str], model_names: Collection[str]) -> tuple[str, dict[str, bool]]:
    if len(row) != len(COLUMNS):
        raise CatalogError(path, line, None, f"expected {len(COLUMNS)} cells, found {len(row)}")
    cells = dict(zip(COLUMNS, (c.strip() for c in row)))
    if cells["model_name"] not in model_names:
        raise CatalogError(path, line, "model_name", f"{cells['model_name']!r} is not a model_name in models.csv")
    values = {}
    for feature in FEATURES:
        if cells[feature] not in ("", "true", "false"):
            raise CatalogError(path, line, feature, f"must be true, false or empty, got {cells[feature]!r}")
        if cells[feature]:
            values[feature] = cells[feature] == "true"
    if values and not cells["source"].startswith("https://"):
        raise CatalogError(path, line, "source", "a row with values needs the https URL they come from")
    try:
        dt.date.fromisoformat(cells["checked"])
    except ValueError:
        raise CatalogError(path, line, "checked", f"must be an ISO date, got {cells['checked']!r}") from None
    return cells["model_name"], values


def attach_capabilities(models: Iterable[Any], table: Mapping[str, Mapping[str, bool]]) -> list[Any]:
    """Return catalog models carrying their model_name's capabilities (empty when none are known)."""
    return [dataclasses.replace(m, capabilities=dict(table.get(m.model_name, {}))) for m in models]


def request_features(request: Mapping[str, Any]) -> list[str]:
    """Return the features an OpenAI chat request uses, in FEATURES order."""
    used = []
    if request.get("tools"):
        used.append("tools")
    fmt = request.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") in ("json_object", "json_schema"):
        used.append("structured_output")
    if request.get("reasoning_effort") is not None:
        used.append("reasoning")
    if any(isinstance(m, dict) and m.get("role") == "user" and isinstance(m.get("content"), list)
           and any(isinstance(p, dict) and p.get("type") == "image_url" for p in m["content"])
           for m in request.get("messages") or []):
        used.append("vision")
    return used


def unsupported(capabilities: Capabilities, request: Mapping[str, Any], *, dialect: str | None = None,
                unknown_ok: bool = True) -> str | None:
    """Return the parameter naming the first feature the request uses that the model lacks, else None.

    A documented false always refuses, as does a feature the dialect's mapping refuses; an unknown
    one refuses only when ``unknown_ok`` is False (choosing ``auto`` candidates).
    """
    limits = DIALECT_LIMITS.get(dialect or "", frozenset())
    for feature in request_features(request):
        known = capabilities.get(feature)
        if feature in limits or known is False or (known is None and not unknown_ok):
            return PARAMS[feature]
    return None
