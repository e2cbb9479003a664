"""Which models a send_prompt request means."""
from pathlib import Path

import pytest

from app.catalog import InMemoryCatalog, load_models
from app.vendors import VENDORS
from app.routing.targets import TargetError, choose_targets
from tests.catalog_rows import write_catalog


@pytest.fixture
def catalog(tmp_path):
    return InMemoryCatalog(load_models(write_catalog(tmp_path / "m.csv"), VENDORS.keys()))


def ids(models):
    return [m.id for m in models]


def test_model_names_match_id_or_model_name(catalog):
    assert ids(choose_targets(catalog, ["gpt-4o", "groq/llama-3.3-70b"], None, 10)) == [
        "openai/gpt-4o", "groq/llama-3.3-70b"]


def test_providers_narrow_model_names(catalog):
    assert ids(choose_targets(catalog, ["gpt-4o", "llama-3.3-70b"], ["Groq"], 10)) == ["groq/llama-3.3-70b"]


def test_providers_alone_mean_their_defaults(catalog):
    assert ids(choose_targets(catalog, None, ["openai", "google"], 10)) == [
        "openai/gpt-4o-mini", "google/gemini-2.5-pro"]


@pytest.mark.parametrize("names,providers,field,text", [
    (None, None, "model_names", "at least one"),
    ([], [], "model_names", "at least one"),
    (["gpt-0", "gpt-4o", "nope"], None, "model_names", "gpt-0, nope"),
    (None, ["acme"], "providers", "acme"),
    (["gpt-4o"], ["groq"], "model_names", "None of the named models"),
    (None, ["anthropic"], "providers", "anthropic"),
])
def test_errors_name_the_field(catalog, names, providers, field, text):
    with pytest.raises(TargetError) as info:
        choose_targets(catalog, names, providers, 10)
    assert info.value.field == field and text in info.value.message


def test_too_many_models(catalog):
    with pytest.raises(TargetError, match="at most 2"):
        choose_targets(catalog, ["gpt-4o", "gpt-4o-mini", "llama-3.3-70b"], None, 2)


def test_a_batch_entry_is_estimate_only():
    catalog = InMemoryCatalog(load_models(Path(__file__).resolve().parents[2] / "models.csv", VENDORS.keys()))
    [batch] = [model for model in catalog.all() if model.estimate_only]
    assert batch.id == "openrouter/gemini-4-neon:batch"
    with pytest.raises(TargetError, match="openrouter/gemini-4-neon:batch: estimate-only"):
        choose_targets(catalog, ["openrouter/gemini-4-neon:batch", "openrouter/gemini-4-neon"], None, 10)
    assert ids(choose_targets(catalog, ["openrouter/gemini-4-neon"], None, 10)) == ["openrouter/gemini-4-neon"]
