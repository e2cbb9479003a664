"""The catalog loader accepts a valid file and names file, line and column for each bad one."""
import pytest

from app.catalog import CatalogError, InMemoryCatalog, load_models
from app.vendors import VENDORS
from tests.catalog_rows import HEADER, ROWS, write_catalog

GOOD = list(ROWS.values())


def load(path):
    return load_models(path, VENDORS.keys())


def test_valid_catalog_parses_types(tmp_path):
    models = load(write_catalog(tmp_path / "m.csv"))
    mini = models[0]
    assert mini.id == "openai/gpt-4o-mini" and mini.default is True
    assert mini.input_price_per_mtok == 0.15 and mini.cached_input_price_per_mtok == 0.075
    assert mini.long_context_threshold is None and mini.mmlu_pro_score is None
    assert mini.price_per_token == pytest.approx(0.15e-6, rel=1e-15)
    gemini = models[2]
    assert (gemini.long_context_threshold, gemini.long_input_price_per_mtok,
            gemini.long_output_price_per_mtok) == (200000, 2.5, 15.0)


def test_blank_lines_are_ignored(tmp_path):
    assert len(load(write_catalog(tmp_path / "m.csv", [GOOD[0], "", GOOD[1]]))) == 2


def _bad(row_index, column, value):
    rows = [row.split(",") for row in GOOD]
    rows[row_index][HEADER.split(",").index(column)] = value
    return [",".join(row) for row in rows]


@pytest.mark.parametrize("column,value,problem", [
    ("input_price_per_mtok", "-1", "non-negative"),
    ("input_price_per_mtok", "", "empty"),
    ("input_price_per_mtok", "cheap", "could not convert"),
    ("output_price_per_mtok", "nan", "non-negative"),
    ("context_window", "0", "positive"),
    ("context_window", "12.5", "invalid literal"),
    ("default", "yes", "true or false"),
    ("mmlu_score", "101", "between 0 and 100"),
    ("prices_checked", "yesterday", "isoformat"),
    ("provider", "acme", "unknown provider"),
    ("model_name", "", "empty"),
    ("long_context_threshold", "100000", "all set or all empty"),
])
def test_bad_cell_names_file_line_and_column(tmp_path, column, value, problem):
    path = write_catalog(tmp_path / "m.csv", _bad(1, column, value))
    with pytest.raises(CatalogError) as info:
        load(path)
    error = info.value
    assert (error.path, error.line) == (str(path), 3)
    assert problem in str(error)
    if column == "long_context_threshold":
        assert error.column == "long_input_price_per_mtok"
    elif column != "provider":
        assert error.column == column
    assert f"{path}, line 3" in str(error)


def test_partial_tier_missing_threshold_is_rejected(tmp_path):
    with pytest.raises(CatalogError, match="all set or all empty") as info:
        load(write_catalog(tmp_path / "m.csv", _bad(2, "long_context_threshold", "")))
    assert info.value.column == "long_context_threshold"


def test_id_must_carry_provider_prefix(tmp_path):
    with pytest.raises(CatalogError, match="must start with 'openai/'"):
        load(write_catalog(tmp_path / "m.csv", _bad(0, "id", "gpt-4o-mini")))


def test_duplicate_id_is_rejected(tmp_path):
    with pytest.raises(CatalogError, match="duplicate id") as info:
        load(write_catalog(tmp_path / "m.csv", [*GOOD, GOOD[1].replace(",false,", ",false,", 1)]))
    assert info.value.line == 6


def test_two_defaults_for_a_provider_are_rejected(tmp_path):
    with pytest.raises(CatalogError, match="second default") as info:
        load(write_catalog(tmp_path / "m.csv", _bad(1, "default", "true")))
    assert info.value.line == 3


def test_provider_without_default_is_rejected(tmp_path):
    with pytest.raises(CatalogError, match="has no default"):
        load(write_catalog(tmp_path / "m.csv", _bad(3, "default", "false")))


def test_wrong_cell_count_is_rejected(tmp_path):
    with pytest.raises(CatalogError, match="expected 20 cells, found 19") as info:
        load(write_catalog(tmp_path / "m.csv", [GOOD[0], GOOD[1].rsplit(",", 1)[0]]))
    assert info.value.line == 3


def test_wrong_header_is_rejected(tmp_path):
    with pytest.raises(CatalogError, match="header must be exactly") as info:
        load(write_catalog(tmp_path / "m.csv", header=HEADER.replace("model_size", "size")))
    assert info.value.line == 1


def test_missing_file_is_a_catalog_error(tmp_path):
    with pytest.raises(CatalogError, match="cannot read catalog"):
        load(tmp_path / "absent.csv")


def test_repository_interface(tmp_path):
    repo = InMemoryCatalog(load(write_catalog(tmp_path / "m.csv")))
    assert [m.id for m in repo.all()] == list(ROWS)
    assert [m.id for m in repo.by_provider("openai")] == ["openai/gpt-4o-mini", "openai/gpt-4o"]
    assert repo.by_provider("anthropic") == []
    assert repo.get("groq/llama-3.3-70b").api_model == "llama-3.3-70b-versatile"
    assert repo.get("nope") is None
    assert repo.providers() == ["openai", "google", "groq"]
    repo.all().clear()  # callers get copies
    assert len(repo.all()) == 4


def test_released_is_an_optional_iso_date(tmp_path):
    dated = GOOD[0].rsplit(",", 1)[0] + ",2024-07-18"
    models = load(write_catalog(tmp_path / "m.csv", [dated, *GOOD[1:]]))
    assert [m.released for m in models] == ["2024-07-18"] + [None] * (len(GOOD) - 1)
    with pytest.raises(CatalogError, match="released") as info:
        load(write_catalog(tmp_path / "bad.csv", [GOOD[0].rsplit(",", 1)[0] + ",July 2024", *GOOD[1:]]))
    assert info.value.column == "released"


def test_a_catalog_written_before_the_released_column_still_loads(tmp_path):
    legacy = [row.rsplit(",", 1)[0] for row in GOOD]
    models = load(write_catalog(tmp_path / "m.csv", legacy, header=HEADER.removesuffix(",released")))
    assert len(models) == len(GOOD) and all(m.released is None for m in models)
