"""capabilities.csv: every value sourced, every model in the catalog; unsupported() for 400s and auto."""
from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from app.agents.capabilities import (COLUMNS, FEATURES, attach_capabilities, load_capabilities,
                                     request_features, unsupported)
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


# Known values per feature over the catalog's model_names, as of the 2026-12-01 check. A floor:
# filling a cell raises a count (raise the floor with it); losing a row or a value fails here.
COVERAGE_FLOOR = {"rows": 40, "tools": 31, "structured_output": 15, "reasoning": 29, "vision": 32}


def shipped_coverage(models) -> dict[str, int]:
    names = {m.model_name for m in models}
    table = load_capabilities(ROOT / "capabilities.csv", names)
    counts = {feature: sum(1 for values in table.values() if feature in values) for feature in FEATURES}
    return {"rows": len(table), **counts}


def test_coverage_never_drops_below_the_floor(models):
    coverage = shipped_coverage(models)
    shortfall = {key: (coverage[key], floor) for key, floor in COVERAGE_FLOOR.items()
                 if coverage[key] < floor}
    assert not shortfall, f"(now, floor) per column: {shortfall}"


def test_docs_state_the_shipped_coverage(models):
    coverage = shipped_coverage(models)
    text = " ".join((ROOT / "docs" / "gateway.md").read_text(encoding="utf-8").split())
    paragraph = text[text.index("**Capabilities.**"):]
    stated = {
        "rows": r"\((\d+) have a row\)", "tools": r"tools (\d+) known",
        "structured_output": r"structured output (\d+)", "reasoning": r"reasoning (\d+)",
        "vision": r"vision (\d+)",
    }
    found = {key: int(re.search(pattern, paragraph).group(1)) for key, pattern in stated.items()}
    assert found == coverage
    names = {m.model_name for m in models}
    assert f"the catalog's {len(names)} `model_name`s" in paragraph


def test_every_value_says_what_the_page_says():
    with open(ROOT / "capabilities.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if any(row[feature] for feature in FEATURES):
            assert row["note"].strip() and row["checked"] == "2026-12-01", row["model_name"]


def test_documented_falses_refuse_explicit_models_and_auto(models):
    table = load_capabilities(ROOT / "capabilities.csv", {m.model_name for m in models})
    tools = {"messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function"}]}
    image = {"messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": data_url(png(2, 2))}}]}]}
    assert unsupported(table["gpt-6.1-terra"], tools) == "tools"
    for name in ("llama-3.3-70b", "llama-3.1-8b", "deepseek-v4-pro"):
        assert unsupported(table[name], image) == "messages", name
    # a documented true passes auto; a model with no row does not
    assert unsupported(table["deepseek-flash"], image, unknown_ok=False) is None
    assert unsupported(table.get("grok-4.7", {}), tools, unknown_ok=False) == "tools"
