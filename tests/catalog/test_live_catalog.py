"""The catalog served from the database: prices in force, `at`, refreshes, ETags, a database that is down."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from app.catalog.live import LiveCatalog, Loaded
from app.catalog.snapshot import group_versions
from app.store.catalog_db import bump_catalog_version
from app.store.engine import writing
from app.store.price_versions import Prices, Version, utc_moment
from app.store.schema import PriceVersion
from tests.pricing.test_ranking import make_model

PRICE = "/api/get_best_price_for_prompt"
ARGON = "google/gemini-4-argon"
FLASH = "google/gemini-3.8-flash"


def item(client, model_id, **body):
    response = client.post(PRICE, json={"prompt": "Hello", "expected_output_tokens": 1_000_000,
                                        "model_names": [model_id], **body})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"][0]


def test_the_bundled_catalog_is_served_from_the_database(app):
    live = app.extensions["catalog"]
    assert live.current.source == "database" and live.current.version >= 1 and live.problem is None
    model = app.test_client().get("/api/models").get_json()["data"][0]
    assert model["price_effective_from"].endswith("Z")
    assert app.test_client().get("/ready").get_json()["status"] == "ready"


@pytest.mark.parametrize("at, output_cost", [("2026-11-30", 10.0), ("2026-11-30T23:59:59Z", 10.0),
                                             ("2026-12-01", 20.0), ("2026-12-01T00:59:00+01:00", 10.0)])
def test_at_prices_with_the_version_in_force_then(client, at, output_cost):
    priced = item(client, ARGON, at=at)
    assert priced["output_cost"] == pytest.approx(output_cost)
    expected_start = "2026-12-01T00:00:00Z" if output_cost == 20.0 else "1970-01-01T00:00:00Z"
    assert priced["price_effective_from"] == expected_start


def test_an_announced_price_is_priced_at_its_date_and_today_keeps_todays(client):
    assert item(client, FLASH, at="2027-01-01")["output_cost"] == pytest.approx(7.5)
    assert item(client, FLASH)["output_cost"] == pytest.approx(3.75)


@pytest.mark.parametrize("at", ["yesterday", "2027-01-01T00:00:00", "2027-13-01", 20270101, ""])
def test_a_bad_at_is_a_400(client, at):
    response = client.post(PRICE, json={"prompt": "Hello", "at": at})
    assert response.status_code == 400 and "at" in response.get_json()["error"]["fields"]


def test_a_new_catalog_version_is_served_after_a_refresh_with_a_new_etag(app):
    live, client = app.extensions["catalog"], app.test_client()
    before = client.get("/api/models")
    engine = app.extensions["store"].engine
    with writing(engine) as session:   # what `catalog sync --apply` does: a new version, a bump
        session.execute(update(PriceVersion).where(PriceVersion.model_id == "groq/llama-3.1-8b")
                        .values(output_price_per_mtok=1))
        bump_catalog_version(session)
    assert live.refresh() is True
    after = client.get("/api/models")
    assert after.headers["ETag"] != before.headers["ETag"]
    llama = next(m for m in after.get_json()["data"] if m["id"] == "groq/llama-3.1-8b")
    assert llama["output_price_per_mtok"] == 1.0
    assert client.get("/api/models", headers={"If-None-Match": before.headers["ETag"]}).status_code == 200
    assert live.refresh() is False   # nothing new: nothing rebuilt


def test_a_dated_price_takes_effect_at_its_moment_without_the_database():
    change = datetime(2026, 12, 1, tzinfo=UTC)
    clock = [change - timedelta(seconds=1)]
    model = make_model("google/gemini-4-argon", 2, 10)
    versions = group_versions([Version(model.id, utc_moment(datetime(1970, 1, 1, tzinfo=UTC)),
                                       Prices(2, 10), "test", change.date()),
                               Version(model.id, change, Prices(4, 20), "test", change.date())])
    loaded = Loaded(7, "database", [model], versions)
    live = LiveCatalog(lambda moment: loaded, lambda: 7, lambda moment: loaded, refresh_s=30,
                       clock=lambda: clock[0])
    live.derive("tag", lambda snapshot: snapshot.tag)
    assert live.get(model.id).output_price_per_mtok == 10 and live.current.next_change == change
    old_tag = live.current.derived["tag"]
    assert live.refresh() is False
    clock[0] = change
    assert live.refresh() is True   # no new version: the clock passed the announced change
    assert live.get(model.id).output_price_per_mtok == 20 and live.current.next_change is None
    assert live.current.derived["tag"] != old_tag


def test_with_the_database_down_the_files_serve_and_ready_says_degraded(make_app):
    app = make_app(DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    live = app.extensions["catalog"]
    assert live.current.source == "files" and "OperationalError" in live.problem
    client = app.test_client()
    assert item(client, ARGON)["output_cost"] == pytest.approx(20.0)   # today's price, from the history file
    ready = client.get("/ready")
    assert ready.status_code == 200 and ready.get_json()["status"] == "degraded"
    assert "database" in ready.get_json()["reasons"]["catalog"]
    assert live.refresh() is False and live.problem   # still down: the snapshot held stays


def test_an_empty_database_is_reported_and_the_files_serve(make_app, tmp_path):
    from app.store.engine import make_engine
    from app.store.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    upgrade(make_engine(url))
    live = make_app(DATABASE_URL=url).extensions["catalog"]
    assert live.current.source == "files" and "db upgrade" in live.problem
