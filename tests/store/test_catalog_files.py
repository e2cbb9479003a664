"""price_history.csv parsing and its agreement with models.csv (no database)."""
from __future__ import annotations

import shutil
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest

from app.catalog import CatalogError
from app.store.catalog_files import HISTORY_COLUMNS, cell, read_catalog, read_history

REPO = Path(__file__).resolve().parents[2]
HEADER = ",".join(HISTORY_COLUMNS)
ROW = "google/gemini-4-argon,2026-12-01,4,20,0.2,,,,genai-prices 0.2.3,2026-12-01"


def history(tmp_path, *rows, header=HEADER) -> Path:
    path = tmp_path / "price_history.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_rows_parse_to_exact_versions(tmp_path):
    [version] = read_history(history(tmp_path, ROW))
    assert version.effective_from == datetime(2026, 12, 1, tzinfo=UTC)
    assert (version.prices.input, version.prices.cached_input, version.prices.long_input) == (D("4"), D("0.2"), None)


def test_an_instant_needs_its_offset_and_keeps_it_in_utc(tmp_path):
    [version] = read_history(history(tmp_path, ROW.replace("2026-12-01,4", "2026-12-01T15:30:00+02:00,4")))
    assert version.effective_from == datetime(2026, 12, 1, 13, 30, tzinfo=UTC)
    assert cell(version.effective_from) == "2026-12-01T13:30:00Z"
    with pytest.raises(CatalogError, match="timezone") as info:
        read_history(history(tmp_path, ROW.replace("2026-12-01,4", "2026-12-01T15:30:00,4")))
    assert (info.value.line, info.value.column) == (2, "effective_from")


@pytest.mark.parametrize("old,new,column,problem", [
    (",4,20,", ",four,20,", "input_price_per_mtok", "decimal number"),
    (",4,20,", ",,20,", "input_price_per_mtok", "empty"),
    (",0.2,,,,", ",0.2,x,,,", "long_context_threshold", "invalid literal"),
    ("2026-12-01,4", "tomorrow,4", "effective_from", "isoformat"),
])
def test_bad_cell_names_line_and_column(tmp_path, old, new, column, problem):
    with pytest.raises(CatalogError, match=problem) as info:
        read_history(history(tmp_path, ROW, ROW.replace(old, new)))
    assert (info.value.line, info.value.column) == (3, column)


def test_wrong_header_is_refused(tmp_path):
    with pytest.raises(CatalogError, match="header must be exactly"):
        read_history(history(tmp_path, ROW, header=HEADER.replace("source", "origin")))


def _copy_catalog(tmp_path) -> tuple[Path, Path]:
    shutil.copy(REPO / "models.csv", tmp_path / "models.csv")
    shutil.copy(REPO / "price_history.csv", tmp_path / "price_history.csv")
    return tmp_path / "models.csv", tmp_path / "price_history.csv"


def test_the_repositorys_files_agree():
    models, versions = read_catalog(REPO / "models.csv", REPO / "price_history.csv")
    assert {v.model_id for v in versions} == {m.id for m in models}


def test_models_csv_must_show_the_price_in_force_on_prices_checked(tmp_path):
    models_csv, history_csv = _copy_catalog(tmp_path)
    history_csv.write_text(history_csv.read_text().replace("gemini-4-argon,1970-01-01,2,10", "gemini-4-argon,1970-01-01,3,10"))
    with pytest.raises(CatalogError, match="google/gemini-4-argon: its prices differ"):
        read_catalog(models_csv, history_csv)


def test_every_model_needs_a_version_and_every_version_a_model(tmp_path):
    models_csv, history_csv = _copy_catalog(tmp_path)
    lines = history_csv.read_text().splitlines()
    history_csv.write_text("\n".join(l for l in lines if not l.startswith("xai/grok-4.7,")) + "\n")
    with pytest.raises(CatalogError, match="xai/grok-4.7: no price in force on 2026-11-27"):
        read_catalog(models_csv, history_csv)
    history_csv.write_text("\n".join([*lines, ROW.replace("google/", "acme/")]) + "\n")
    with pytest.raises(CatalogError, match="'acme/gemini-4-argon' is not in"):
        read_catalog(models_csv, history_csv)


def test_nonsense_prices_in_the_file_are_refused(tmp_path):
    models_csv, history_csv = _copy_catalog(tmp_path)
    nonsense = ROW.replace(",4,20,0.2,", ",4,20,5,").replace("2026-12-01,4", "2027-03-01,4")
    history_csv.write_text(history_csv.read_text() + nonsense + "\n")
    with pytest.raises(CatalogError, match="cached input price 5 is above the input price 4"):
        read_catalog(models_csv, history_csv)
