"""`catalog sync`: the difference with genai-prices' installed data, applied as new versions only."""
from __future__ import annotations

import shutil
from importlib.metadata import version
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from app.store import catalog_db, sync
from app.store.engine import reading, writing
from app.store.price_versions import Prices, price_in_force
from app.store.schema import CatalogModel, UpstreamModel

REPO = Path(__file__).resolve().parents[2]
SEEDED_AT = datetime(2026, 11, 20, tzinfo=UTC)
NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)   # after Argon's change, before Flash's
ARGON_CHANGE = "google/gemini-4-argon,2026-12-01,4,20,0.2,,,,genai-prices 0.2.3,2026-12-01\n"
FLASH_CHANGE = "google/gemini-3.8-flash,2027-01-01,1.5,7.5,0.15,,,,genai-prices 0.2.3,2026-12-01\n"


def seed(engine, tmp_path, history: str) -> None:
    shutil.copy(REPO / "models.csv", tmp_path / "models.csv")
    (tmp_path / "price_history.csv").write_text(history)
    with writing(engine) as session:
        catalog_db.seed_if_empty(session, tmp_path / "models.csv", tmp_path / "price_history.csv", SEEDED_AT)


def plan(engine, now=NOW) -> sync.SyncPlan:
    with reading(engine) as session:
        return sync.plan(session, now)


def versions(engine, model_id):
    with reading(engine) as session:
        return catalog_db.stored_versions(session)[model_id]


@pytest.fixture
def stale(engine, tmp_path):
    """A catalog seeded before genai-prices knew of Argon's and Flash's new prices."""
    history = (REPO / "price_history.csv").read_text()
    seed(engine, tmp_path, history.replace(ARGON_CHANGE, "").replace(FLASH_CHANGE, ""))
    return engine


def test_an_up_to_date_catalog_has_nothing_to_sync(engine, tmp_path):
    seed(engine, tmp_path, (REPO / "price_history.csv").read_text())
    found = plan(engine)
    assert (found.changes, found.new_models, found.unlisted, found.problems) == ([], [], [], [])
    assert sync.report(found).startswith(f"The catalog matches genai-prices {version('genai-prices')}.\n\n(")


def test_a_missed_change_starts_now_and_an_announced_one_keeps_its_date(stale):
    found = plan(stale)
    assert [(c.model_id, c.effective_from, c.upstream_from, c.old.input, c.new.input) for c in found.changes] == [
        ("google/gemini-4-argon", NOW, datetime(2026, 12, 1, tzinfo=UTC), D("2"), D("4")),
        ("google/gemini-3.8-flash", datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC),
         D("0.75"), D("1.5"))]
    text = sync.report(found)
    assert "Price changes (2)" in text and "2026-12-05T10:00:00Z  2026-12-01" in text and "0.75 -> 1.5" in text


def test_apply_adds_versions_and_never_rewrites_history(stale):
    before = versions(stale, "google/gemini-4-argon")
    with writing(stale) as session:
        assert sync.apply(session, sync.plan(session, NOW), NOW) == 2
        assert catalog_db.catalog_version(session) == 2
    argon = versions(stale, "google/gemini-4-argon")
    assert argon[0] == before[0]   # the version in force until now is untouched
    assert price_in_force(argon, datetime(2026, 12, 3, tzinfo=UTC)).prices.input == D("2")   # what was charged
    assert price_in_force(argon, NOW).prices.input == D("4")
    flash = versions(stale, "google/gemini-3.8-flash")
    assert price_in_force(flash, datetime(2027, 1, 1, tzinfo=UTC)).prices.output == D("7.5")
    assert plan(stale).changes == []   # applied: nothing left
    with reading(stale) as session:
        assert catalog_db.catalog_version(session) == 2


def test_an_announcement_genai_prices_no_longer_has_is_withdrawn(engine, tmp_path):
    history = (REPO / "price_history.csv").read_text()
    seed(engine, tmp_path, history + FLASH_CHANGE.replace("gemini-3.8-flash,2027-01-01", "gemini-3.5-flash,2027-03-01"))
    [change] = plan(engine).changes
    assert (change.model_id, change.new) == ("google/gemini-3.5-flash", None)
    assert "(withdrawn)" in sync.report(plan(engine))
    with writing(engine) as session:
        sync.apply(session, sync.plan(session, NOW), NOW)
    assert len(versions(engine, "google/gemini-3.5-flash")) == 1


def test_an_announcement_with_another_price_is_replaced_on_its_date(engine, tmp_path):
    history = (REPO / "price_history.csv").read_text()
    seed(engine, tmp_path, history.replace(FLASH_CHANGE, FLASH_CHANGE.replace(",1.5,7.5,", ",1.4,7.5,")))
    [change] = plan(engine).changes
    assert (change.effective_from, change.old.input, change.new.input) == (
        datetime(2027, 1, 1, tzinfo=UTC), D("1.4"), D("1.5"))
    with writing(engine) as session:
        sync.apply(session, sync.plan(session, NOW), NOW)
    assert [v.prices.input for v in versions(engine, "google/gemini-3.8-flash")] == [D("0.75"), D("1.5")]


@pytest.mark.parametrize("prices,message", [
    (Prices(D("-1"), D("20")), "input price -1 is negative"),
    (Prices(D("4"), D("20"), D("5")), "cached input price 5 is above the input price 4"),
    (Prices(D("4"), D("20"), long_input=D("8"), long_output=D("40")), "a long-context tier needs a threshold"),
])
def test_apply_refuses_nonsense_and_writes_nothing(stale, prices, message):
    with writing(stale) as session:
        found = sync.plan(session, NOW)
    found.changes[0] = sync.PriceChange("google/gemini-4-argon", NOW, NOW, None, prices, "test")
    with pytest.raises(sync.SyncRejected, match=f"google/gemini-4-argon from 2026-12-05T10:00:00Z: {message}"):
        with writing(stale) as session:
            sync.apply(session, found, NOW)
    assert len(versions(stale, "google/gemini-4-argon")) == 1
    assert len(plan(stale).changes) == 2


def test_new_upstream_models_are_reported_on_every_run_until_added(engine, tmp_path):
    seed(engine, tmp_path, (REPO / "price_history.csv").read_text())
    with writing(engine) as session:   # as if genai-prices had added these since the seed
        session.execute(delete(UpstreamModel).where(UpstreamModel.model_id.in_(["gpt-4o", "claude-3-5-haiku-latest"])))
    found = plan(engine)
    assert [(n.genai_provider, n.genai_id) for n in found.new_models] == [
        ("anthropic", "claude-3-5-haiku-latest"), ("openai", "gpt-4o")]
    assert "New models of our providers, not in the catalog (2" in sync.report(found)
    with writing(engine) as session:
        sync.apply(session, sync.plan(session, NOW), NOW)
        assert catalog_db.catalog_version(session) == 1   # no price changed, nothing added
    assert [n.model_id for n in plan(engine).new_models] == ["anthropic/claude-3-5-haiku-latest", "openai/gpt-4o"]
    with writing(engine) as session:
        sync.apply(session, sync.plan(session, NOW), NOW, add_new=True)
        assert catalog_db.catalog_version(session) == 2
    assert plan(engine).new_models == []


def test_models_listed_at_the_seed_are_counted_not_listed(engine, tmp_path):
    seed(engine, tmp_path, (REPO / "price_history.csv").read_text())
    found = plan(engine)
    with reading(engine) as session:
        baseline = catalog_db.baseline_upstream(session)
    assert found.baseline_lacking > 1000 and found.baseline_lacking < len(baseline)
    assert f"({found.baseline_lacking} older models of our providers" in sync.report(found)


def test_a_model_genai_prices_dropped_is_reported(engine, tmp_path):
    seed(engine, tmp_path, (REPO / "price_history.csv").read_text())
    with writing(engine) as session:
        session.get(CatalogModel, "xai/grok-4.3").api_model = "grok-retired"
    found = plan(engine)
    assert found.unlisted == ["xai/grok-4.3"]
    assert f"No longer listed by genai-prices {version('genai-prices')} (1)" in sync.report(found)
    with reading(engine) as session:   # Ollama's models were never listed: not reported
        assert session.scalar(select(CatalogModel.id).where(CatalogModel.provider == "ollama").limit(1))
