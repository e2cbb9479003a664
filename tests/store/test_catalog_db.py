"""The catalog in the database: seeding, import/export round trip, history that is never rewritten."""
from __future__ import annotations

import shutil
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import select

from app.store import catalog_db
from app.store.catalog_db import HistoryError
from app.store.engine import reading, writing
from app.store.schema import CatalogModel, PriceVersion, Provider, UpstreamModel

REPO = Path(__file__).resolve().parents[2]
ROWS = len((REPO / "models.csv").read_text().splitlines()) - 1
VERSIONS = len((REPO / "price_history.csv").read_text().splitlines()) - 1
NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)   # after Argon's change, before Flash's


@pytest.fixture
def files(tmp_path):
    models_csv, history_csv = tmp_path / "models.csv", tmp_path / "price_history.csv"
    shutil.copy(REPO / "models.csv", models_csv)
    shutil.copy(REPO / "price_history.csv", history_csv)
    return models_csv, history_csv


@pytest.fixture
def seeded(engine, files):
    with writing(engine) as session:
        assert catalog_db.seed_if_empty(session, *files, NOW) is not None
    return engine


def version_number(engine) -> int:
    with reading(engine) as session:
        return catalog_db.catalog_version(session)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_seed_then_export_reproduces_the_files_byte_for_byte(seeded, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with reading(seeded) as session:
        assert catalog_db.export_files(session, out / "models.csv", out / "price_history.csv") == (ROWS, VERSIONS)
    assert (out / "models.csv").read_bytes() == (REPO / "models.csv").read_bytes()
    assert (out / "price_history.csv").read_bytes() == (REPO / "price_history.csv").read_bytes()


def test_seed_fills_every_table_once(seeded, files):
    with reading(seeded) as session:
        assert len(session.scalars(select(Provider)).all()) == 12
        argon = session.scalars(select(PriceVersion).where(PriceVersion.model_id == "google/gemini-4-argon")
                                .order_by(PriceVersion.effective_from)).all()
        assert [(v.input_price_per_mtok, v.effective_to) for v in argon] == [
            (D("2"), datetime(2026, 12, 1, tzinfo=UTC)), (D("4"), None)]
        assert session.scalar(select(UpstreamModel).limit(1)) is not None   # sync's baseline
        assert catalog_db.catalog_version(session) == 1
    with writing(seeded) as session:
        assert catalog_db.seed_if_empty(session, *files, NOW) is None   # not empty: untouched
    assert version_number(seeded) == 1


def test_import_of_unchanged_files_changes_nothing(seeded, files):
    with writing(seeded) as session:
        assert not catalog_db.import_files(session, *files, NOW).changed
    assert version_number(seeded) == 1


def test_import_replaces_an_announced_price_and_bumps_the_version(seeded, files):
    _, history_csv = files
    edit(history_csv, "gemini-3.8-flash,2027-01-01,1.5,7.5,0.15", "gemini-3.8-flash,2027-02-01,1.2,6,0.12")
    with writing(seeded) as session:
        result = catalog_db.import_files(session, *files, NOW)
    assert (result.versions_added, result.versions_removed) == (1, 1)
    assert version_number(seeded) == 2
    with reading(seeded) as session:
        flash = catalog_db.stored_versions(session)["google/gemini-3.8-flash"]
    assert [(v.effective_from.date().isoformat(), v.prices.input) for v in flash] == [
        ("1970-01-01", D("0.75")), ("2027-02-01", D("1.2"))]


@pytest.mark.parametrize("old,new,problem", [
    # a price that has taken effect cannot change ...
    ("google/gemini-4-argon,2026-12-01,4,20", "google/gemini-4-argon,2026-12-01,5,20", "cannot be changed"),
    # ... nor disappear ...
    ("google/gemini-4-argon,2026-12-01,4,20,0.2,,,,genai-prices 0.2.3,2026-12-01\n", "", "cannot be removed"),
    # ... nor be preceded by a new one dated in the past
    ("google/gemini-3.8-flash,2027",
     "google/gemini-3.8-flash,2026-12-03,1,5,0.1,,,,x,2026-12-03\ngoogle/gemini-3.8-flash,2027",
     "a version from 2026-12-03 would change prices already in force"),
])
def test_import_never_rewrites_history(seeded, files, old, new, problem):
    _, history_csv = files
    edit(history_csv, old, new)
    with pytest.raises(HistoryError, match=problem):
        with writing(seeded) as session:
            catalog_db.import_files(session, *files, NOW)
    with reading(seeded) as session:   # the transaction rolled back whole
        assert len(catalog_db.stored_versions(session)["google/gemini-4-argon"]) == 2
    assert version_number(seeded) == 1


def test_a_version_may_start_now(seeded, files):
    _, history_csv = files
    with open(history_csv, "a") as handle:
        handle.write("groq/llama-3.1-8b,2026-12-05T10:00:00Z,0.06,0.09,,,,,https://groq.com/pricing,2026-12-05\n")
    with writing(seeded) as session:
        assert catalog_db.import_files(session, *files, NOW).versions_added == 1


def test_a_model_dropped_from_models_csv_is_unlisted_and_kept(seeded, files, tmp_path):
    models_csv, history_csv = files
    for path in files:
        path.write_text("".join(line for line in path.read_text().splitlines(keepends=True)
                                if not line.startswith("ollama/qwen3-8b,")))
    with writing(seeded) as session:
        assert catalog_db.import_files(session, *files, NOW).models_unlisted == ["ollama/qwen3-8b"]
    with reading(seeded) as session:
        assert session.get(CatalogModel, "ollama/qwen3-8b").listed is False
        assert "ollama/qwen3-8b" in catalog_db.stored_versions(session)   # its history stays
        catalog_db.export_files(session, tmp_path / "m.csv", tmp_path / "h.csv")
    assert (tmp_path / "m.csv").read_text() == models_csv.read_text()
    assert (tmp_path / "h.csv").read_text() == history_csv.read_text()


def test_model_facts_update_in_place(seeded, files):
    models_csv, _ = files
    edit(models_csv, "google/gemini-4-argon,google,gemini-4-argon,gemini-4-argon,false,2,10,0.1,,,,1048576,65536",
         "google/gemini-4-argon,google,gemini-4-argon,gemini-4-argon,false,2,10,0.1,,,,2097152,65536")
    with writing(seeded) as session:
        assert catalog_db.import_files(session, *files, NOW).changed
    with reading(seeded) as session:
        assert session.get(CatalogModel, "google/gemini-4-argon").context_window == 2097152
    assert version_number(seeded) == 2


def test_the_release_date_is_stored_imported_and_exported(seeded, files):
    with reading(seeded) as session:
        _, models, _ = catalog_db.load_catalog(session, NOW)
        stored = session.scalar(select(CatalogModel.released).where(CatalogModel.id == "openai/gpt-6.1-sol"))
    assert stored.isoformat() == "2026-09-29"
    assert {m.id: m.released for m in models}["openai/gpt-6.1-sol"] == "2026-09-29"
    models_csv, history_csv = files
    edit(models_csv, "https://developers.openai.com/api/docs/pricing,2026-09-29", "https://developers.openai.com/api/docs/pricing,2026-09-30")
    with writing(seeded) as session:
        assert catalog_db.import_files(session, models_csv, history_csv, NOW).changed
    out = models_csv.with_name("exported.csv")
    with reading(seeded) as session:
        catalog_db.export_files(session, out, history_csv.with_name("exported_history.csv"))
    assert out.read_text() == models_csv.read_text()
