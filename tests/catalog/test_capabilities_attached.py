"""capabilities.csv reaches the live catalog, whichever source serves it (database or files)."""
import pytest

from app.catalog import CatalogError
from tests.catalog_rows import write_catalog

HEADER = "model_name,tools,structured_output,reasoning,vision,source,checked,note\n"


def capabilities_of(app, model_id):
    return dict(app.extensions["catalog"].current.repository.get(model_id).capabilities)


def test_the_database_catalog_carries_the_bundled_capabilities(make_app):
    app = make_app()
    assert app.extensions["catalog"].current.source == "database"
    assert capabilities_of(app, "openai/gpt-6.1-terra") == {"tools": False, "structured_output": True,
                                                           "reasoning": True, "vision": True}
    assert capabilities_of(app, "groq/llama-3.3-70b")["vision"] is False


def test_the_file_beside_models_csv_is_the_default_and_an_explicit_file_wins(make_app, tmp_path):
    models = write_catalog(tmp_path / "models.csv")
    assert capabilities_of(make_app(MODELS_CSV=str(models)), "openai/gpt-4o-mini") == {}   # no file: unknown
    (tmp_path / "capabilities.csv").write_text(
        HEADER + "gpt-4o-mini,true,true,,true,https://example.com/mini,2026-12-01,\n")
    assert capabilities_of(make_app(MODELS_CSV=str(models)), "openai/gpt-4o-mini") == {
        "tools": True, "structured_output": True, "vision": True}
    other = tmp_path / "other.csv"
    other.write_text(HEADER + "gpt-4o-mini,false,,,,https://example.com/mini,2026-12-01,\n")
    app = make_app(MODELS_CSV=str(models), CAPABILITIES_CSV=str(other))
    assert capabilities_of(app, "openai/gpt-4o-mini") == {"tools": False}


def test_a_bad_capabilities_file_stops_start_up(make_app, tmp_path):
    bad = tmp_path / "capabilities.csv"
    bad.write_text(HEADER + "no-such-model,true,,,,https://example.com,2026-12-01,\n")
    with pytest.raises(CatalogError, match="model_name"):
        make_app(CAPABILITIES_CSV=str(bad))
