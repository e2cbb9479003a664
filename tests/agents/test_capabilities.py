"""capabilities.csv: every value sourced, every model in the catalog; unsupported() for 400s and auto."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from app.agents.capabilities import (COLUMNS, attach_capabilities, load_capabilities, request_features,
                                     unsupported)
from app.catalog import load_models
from app.catalog.csv_loader import CatalogError
from app.vendors import VENDORS
from tests.agents.conversation import data_url, png

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def models():
    return load_models(ROOT / "models.csv", VENDORS.keys())


def test_the_shipped_table_loads_against_the_catalog(models):
    table = load_capabilities(ROOT / "capabilities.csv", {m.model_name for m in models})
    assert table["claude-sonnet-5-5"] == {"tools": True, "reasoning": True, "vision": True}
    with open(ROOT / "capabilities.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:   # every value has a vendor source and a date
        assert row["source"].startswith("https://") and row["checked"], row


def test_attaching_gives_each_row_its_model_names_capabilities(models):
    table = {"claude-sonnet-5-5": {"tools": True}}
    attached = attach_capabilities(models, table)
    by_id = {m.id: m for m in attached}
    assert by_id["anthropic/claude-sonnet-5-5"].capabilities == {"tools": True}
    assert by_id["bedrock/claude-sonnet-5-5"].capabilities == {"tools": True}
    assert by_id["openai/gpt-5.5"].capabilities == {}


def write(tmp_path, *rows: str) -> Path:
    path = tmp_path / "capabilities.csv"
    path.write_text(",".join(COLUMNS) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("row, column", [
    ("nope,true,,,,https://x.test,2026-12-01,", "model_name"),
    ("m,yes,,,,https://x.test,2026-12-01,", "tools"),
    ("m,true,,,,,2026-12-01,", "source"),
    ("m,true,,,,https://x.test,yesterday,", "checked"),
])
def test_bad_cells_name_line_and_column(tmp_path, row, column):
    with pytest.raises(CatalogError) as caught:
        load_capabilities(write(tmp_path, row), {"m"})
    assert caught.value.line == 2 and caught.value.column == column


def test_unknown_is_empty_not_false(tmp_path):
    assert load_capabilities(write(tmp_path, "m,,,,,,2026-12-01,nothing found"), {"m"}) == {"m": {}}


def test_request_features():
    image = {"role": "user", "content": [{"type": "image_url", "image_url": {"url": data_url(png(2, 2))}}]}
    request = {"messages": [image], "tools": [{"type": "function"}], "reasoning_effort": "low",
               "response_format": {"type": "json_object"}}
    assert request_features(request) == ["tools", "structured_output", "reasoning", "vision"]
    assert request_features({"messages": [], "response_format": {"type": "text"}}) == []


def test_unsupported_names_the_parameter():
    request = {"messages": [{"role": "user", "content": "x"}], "tools": [{}], "reasoning_effort": "low"}
    assert unsupported({"tools": True, "reasoning": False}, request) == "reasoning_effort"
    assert unsupported({"tools": True, "reasoning": True}, request) is None
    # unknown passes for an explicit model, not for auto
    assert unsupported({"tools": True}, request) is None
    assert unsupported({"tools": True}, request, unknown_ok=False) == "reasoning_effort"
    # a dialect whose mapping refuses a feature refuses it for every model
    structured = {"messages": [], "response_format": {"type": "json_schema"}}
    assert unsupported({"structured_output": True}, structured, dialect="anthropic") == "response_format"
    assert unsupported({"structured_output": True}, structured, dialect="gemini") is None
