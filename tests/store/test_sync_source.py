"""`catalog sync --source`: newer price data from a file or a URL, reviewed, then applied with new models."""
from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import select

from app.store import catalog_db, price_source, sync
from app.store.engine import reading, writing
from app.store.price_versions import price_in_force
from app.store.schema import CatalogModel, UpstreamModel

REPO = Path(__file__).resolve().parents[2]
SEEDED_AT = datetime(2026, 11, 20, tzinfo=UTC)
NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
OPENAI = {"id": "openai", "name": "OpenAI", "api_pattern": r"https://api\.openai\.com"}


def model(model_id: str, *prices: tuple[str | None, dict], **facts) -> dict:
    """A model in genai-prices' published format; prices are (start date or None, price fields)."""
    listed = [{"prices": fields} if start is None else {"constraint": {"start_date": start}, "prices": fields}
              for start, fields in prices]
    return {"id": model_id, "name": model_id, "match": {"equals": model_id}, "prices": listed, **facts}


def data_file(tmp_path: Path, *models: dict) -> Path:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps([{**OPENAI, "models": list(models)}]))
    return path


GPT_9 = model("gpt-9", (None, {"input_mtok": 1, "output_mtok": 4}),
              ("2027-01-01", {"input_mtok": 2, "output_mtok": 8, "cache_read_mtok": 0.2}), context_window=400000)


@pytest.fixture
def seeded(engine, tmp_path):
    shutil.copy(REPO / "models.csv", tmp_path / "models.csv")
    shutil.copy(REPO / "price_history.csv", tmp_path / "price_history.csv")
    with writing(engine) as session:
        catalog_db.seed_if_empty(session, tmp_path / "models.csv", tmp_path / "price_history.csv", SEEDED_AT)
    return engine


def plan(engine, source) -> sync.SyncPlan:
    with reading(engine) as session:
        return sync.plan(session, NOW, price_source.load(str(source)))


def apply(engine, source, **flags) -> int:
    with writing(engine) as session:
        return sync.apply(session, sync.plan(session, NOW, price_source.load(str(source))), NOW, **flags)


def test_a_file_adding_a_model_with_a_dated_change_shows_both(seeded, tmp_path):
    found = plan(seeded, data_file(tmp_path, GPT_9))
    [new] = found.new_models
    assert (new.model_id, new.api_model, new.context_window, new.max_output_tokens, new.tokenizer) == (
        "openai/gpt-9", "gpt-9", 400000, 400000, "o200k_base")
    assert [(start.date().isoformat(), prices.input) for start, prices in new.timeline.changes] == [
        ("1970-01-01", D("1")), ("2027-01-01", D("2"))]
    text = sync.report(found)
    assert "New models of our providers, not in the catalog (1; add them with --apply --add-new)" in text
    assert "openai/gpt-9" in text and "1970-01-01" in text and "2027-01-01" in text
    assert "max_output_tokens = context window" in text and "tokenizer o200k_base (by family)" in text
    assert "matches" not in text


def test_a_partial_source_changes_only_what_it_mentions(seeded, tmp_path):
    found = plan(seeded, data_file(tmp_path, GPT_9))
    # Every other OpenAI model and every other provider is absent from the file: left as it is.
    assert (found.changes, found.unlisted, found.problems) == ([], [], [])


def test_add_new_writes_the_whole_timeline_in_the_same_transaction(seeded, tmp_path):
    source = data_file(tmp_path, GPT_9)
    assert apply(seeded, source, add_new=True) == 1
    with reading(seeded) as session:
        assert catalog_db.catalog_version(session) == 2
        row = session.get(CatalogModel, "openai/gpt-9")
        assert (row.listed, row.max_output_tokens, row.tokenizer, row.model_name) == (True, 400000, "o200k_base", "gpt-9")
        history = catalog_db.stored_versions(session)["openai/gpt-9"]
    assert price_in_force(history, datetime(2026, 12, 31, tzinfo=UTC)).prices.input == D("1")
    assert price_in_force(history, datetime(2027, 1, 1, tzinfo=UTC)).prices.cached_input == D("0.2")
    assert history[0].source == f"genai-prices data at {source}"
    assert plan(seeded, source).new_models == []   # added: no longer listed as new


def test_models_not_added_are_listed_on_every_run(seeded, tmp_path):
    source = data_file(tmp_path, GPT_9)
    apply(seeded, source)   # --apply without --add-new
    apply(seeded, source)
    assert [n.model_id for n in plan(seeded, source).new_models] == ["openai/gpt-9"]
    with reading(seeded) as session:
        assert session.scalar(select(UpstreamModel).where(UpstreamModel.model_id == "gpt-9")) is None


def test_a_model_that_cannot_be_added_says_why(seeded, tmp_path):
    found = plan(seeded, data_file(tmp_path, model("decision-2", (None, {"input_mtok": 0.04}), context_window=32768)))
    [new] = found.new_models
    assert not new.addable and new.reason == "input price only (no per-token output price)"
    text = sync.report(found)
    assert "Cannot compare:\n  openai/decision-2: input price only" in text and "matches" not in text
    assert apply(seeded, data_file(tmp_path, model("decision-2", (None, {"input_mtok": 0.04}))), add_new=True) == 0


@pytest.mark.parametrize("fields,refused", [
    ({"input_mtok": 4, "output_mtok": 10, "cache_read_mtok": 0.1}, None),                     # 2x: fine
    ({"input_mtok": 21, "output_mtok": 10, "cache_read_mtok": 0.1}, "input 2 -> 21 (more than 10-fold)"),
    ({"input_mtok": 0, "output_mtok": 10}, "input 2 -> 0"),
    ({"input_mtok": 2, "output_mtok": 0.9, "cache_read_mtok": 0.1}, "output 10 -> 0.9 (more than 10-fold)"),
])
def test_a_price_set_to_0_or_moved_tenfold_needs_force(seeded, tmp_path, fields, refused):
    tiers = {"input_mtok": {"base": fields["input_mtok"], "tiers": [{"start": 272000, "price": 4}]},
             "output_mtok": {"base": fields["output_mtok"], "tiers": [{"start": 272000, "price": 15}]}}
    source = data_file(tmp_path, model("gpt-6.1-sol", (None, {**fields, **tiers}), context_window=1050000))
    [change] = plan(seeded, source).changes
    assert change.model_id == "openai/gpt-6.1-sol" and change.effective_from == NOW
    if refused is None:
        assert apply(seeded, source) == 1
        return
    assert refused in sync.report(plan(seeded, source))
    with pytest.raises(sync.SyncRejected, match=f"refused without --force: openai/gpt-6.1-sol from "
                                                f"2026-12-05T10:00:00Z: {refused.replace('(', '.').replace(')', '.')}"):
        apply(seeded, source)
    with reading(seeded) as session:
        assert catalog_db.catalog_version(session) == 1
    assert apply(seeded, source, force=True) == 1


@pytest.mark.parametrize("content", [None, "not json", '{"providers": []}', '[{"id": "openai"}]'])
def test_an_unreadable_source_is_an_error_naming_it(tmp_path, content):
    path = tmp_path / "prices.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(price_source.SourceError, match=f"cannot read price data from {path}: "):
        price_source.load(str(path))


@pytest.fixture
def served(tmp_path):
    """A web server on 127.0.0.1 serving tmp_path/www."""
    (tmp_path / "www").mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "www"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path / "www", f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_url_is_fetched_with_genai_prices_updater_without_replacing_its_data(seeded, tmp_path, served):
    from genai_prices.data_snapshot import get_snapshot

    directory, base = served
    shutil.copy(data_file(tmp_path, GPT_9), directory / "data.json")
    data = price_source.load(f"{base}/data.json")
    assert data.label == f"genai-prices data at {base}/data.json" and not data.complete
    assert [n.model_id for n in plan(seeded, f"{base}/data.json").new_models] == ["openai/gpt-9"]
    assert get_snapshot().from_auto_update is False   # the process's own price data is untouched
    with pytest.raises(price_source.SourceError, match=f"cannot read price data from {base}/missing.json: .*404"):
        price_source.load(f"{base}/missing.json")


def test_tier_prices_unlike_service_tiers_csv_are_reported(seeded, tmp_path):
    from app.catalog.service_tiers import read_service_tiers

    flex = {"input_mtok": 1, "output_mtok": 5, "cache_read_mtok": 0.05}
    argon = model("gemini-4-argon", (None, {"input_mtok": 2, "output_mtok": 10, "cache_read_mtok": 0.1}),
                  ("2026-12-01", {"input_mtok": 4, "output_mtok": 20, "cache_read_mtok": 0.2}), context_window=1048576)
    path = tmp_path / "prices.json"
    with reading(seeded) as session:
        ids = [row.id for row in catalog_db.listed_models(session)]
    tiers = read_service_tiers(REPO / "service_tiers.csv", ids)
    for flex_later, drift in [({"input_mtok": 2, "output_mtok": 10, "cache_read_mtok": 0.1}, []),
                              ({"input_mtok": 3, "output_mtok": 10, "cache_read_mtok": 0.1},
                               [("google/gemini-4-argon", "flex"), ("google/gemini-4-argon", "priority")])]:
        variants = [{"when": {"service_tier": "flex"}, "prices": flex_later, "constraint": {"start_date": "2026-12-01"}},
                    {"when": {"service_tier": "flex"}, "prices": flex, "constraint": {"start_date": "2026-10-14"}}]
        if not drift:   # the data's priority prices too, as service_tiers.csv holds them
            variants += [{"when": {"service_tier": "priority"}, "constraint": {"start_date": "2026-12-01"},
                          "prices": {"input_mtok": 7.2, "output_mtok": 36, "cache_read_mtok": 0.36}},
                         {"when": {"service_tier": "priority"}, "constraint": {"start_date": "2026-10-14"},
                          "prices": {"input_mtok": 3.6, "output_mtok": 18, "cache_read_mtok": 0.18}}]
        path.write_text(json.dumps([{"id": "google", "name": "Google", "api_pattern": "x",
                                     "models": [{**argon, "price_variants": variants}]}]))
        with reading(seeded) as session:
            found = sync.plan(session, NOW, price_source.load(str(path)), tiers)
        assert found.changes == [] and found.tier_drift == drift
        assert ("Service tier prices unlike service_tiers.csv" in sync.report(found)) == bool(drift)


@pytest.mark.parametrize("name, tokenizer", [("gpt-9", "o200k_base"), ("o5-mini", "heuristic"),
                                             ("gemini-5-neon", "gemini"), ("claude-opus-9", "claude"),
                                             ("acme-reasoner-1", "heuristic")])
def test_a_new_models_tokenizer_is_its_familys_or_heuristic(seeded, tmp_path, name, tokenizer):
    found = plan(seeded, data_file(tmp_path, model(name, (None, {"input_mtok": 1, "output_mtok": 2}),
                                                   context_window=1000)))
    [new] = found.new_models
    assert new.tokenizer == tokenizer
    assert ("tokenizer heuristic (no known family)" in sync.report(found)) == (tokenizer == "heuristic")
