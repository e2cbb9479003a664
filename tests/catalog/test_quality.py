"""quality.csv loader: valid rows become scores; a bad row names file, line and column."""
import pytest

from app.catalog import CatalogError, load_models, load_quality
from app.catalog.quality import QUALITY_COLUMNS, SCORE_COLUMNS, Score, ServedAs, attach_quality, quality_to_dict
from app.vendors import VENDORS
from tests.catalog_rows import ROWS, write_catalog

HEADER = ",".join(SCORE_COLUMNS)          # a file without the served_as columns, as before they existed
FULL_HEADER = ",".join(QUALITY_COLUMNS)
GOOD = [
    "gpt-4o-mini,mmlu_pro,63.1,percent,https://example.com/card,2024-07-18,a note",
    "gpt-4o-mini,lmarena_text,1272,elo,https://lmarena.ai/leaderboard/text,2025-01-10,",
    "llama-3.3-70b,mmlu_pro,68.9,percent,https://example.com/llama,2024-12-06,",
]


def write_quality(path, rows=None, header=HEADER):
    """Write a quality.csv (the GOOD rows unless given) and return its path."""
    path.write_text("\n".join([header, *(GOOD if rows is None else rows)]) + "\n", encoding="utf-8")
    return path


def test_valid_rows_parse_into_scores_by_model_and_benchmark(tmp_path):
    table = load_quality(write_quality(tmp_path / "q.csv"))
    assert set(table) == {"gpt-4o-mini", "llama-3.3-70b"}
    assert table["gpt-4o-mini"]["lmarena_text"] == Score(1272.0, "elo", "https://lmarena.ai/leaderboard/text",
                                                         "2025-01-10", 3)
    assert quality_to_dict(table["gpt-4o-mini"]) == {
        "lmarena_text": {"score": 1272.0, "scale": "elo", "source": "https://lmarena.ai/leaderboard/text",
                         "date": "2025-01-10", "served_as": None},
        "mmlu_pro": {"score": 63.1, "scale": "percent", "source": "https://example.com/card", "date": "2024-07-18",
                     "served_as": None}}


def test_blank_lines_are_ignored(tmp_path):
    assert len(load_quality(write_quality(tmp_path / "q.csv", [GOOD[0], "", GOOD[2]]))) == 2


def _bad(column, value):
    cells = GOOD[0].split(",")
    cells[QUALITY_COLUMNS.index(column)] = value
    return [GOOD[2], ",".join(cells)]


@pytest.mark.parametrize("column,value,problem", [
    ("model", "", "empty"),
    ("benchmark", "GPQA Diamond", "lower-case key"),
    ("benchmark", "", "lower-case key"),
    ("score", "", "could not convert"),
    ("score", "101", "between 0 and 100"),
    ("score", "-0.5", "between 0 and 100"),
    ("score", "nan", "between 0 and 100"),
    ("scale", "ratio", "one of percent, elo"),
    ("source", "", "https URL"),
    ("source", "http://example.com/card", "https URL"),
    ("source", "model card", "https URL"),
    ("date", "", "YYYY-MM-DD"),
    ("date", "2026-13-01", "month must be"),
    ("date", "2026-1-5", "YYYY-MM-DD"),
])
def test_bad_cell_names_file_line_and_column(tmp_path, column, value, problem):
    path = write_quality(tmp_path / "q.csv", _bad(column, value))
    with pytest.raises(CatalogError) as info:
        load_quality(path)
    assert (info.value.path, info.value.line, info.value.column) == (str(path), 3, column)
    assert problem in str(info.value)


@pytest.mark.parametrize("score,ok", [("800", True), ("2000", True), ("799", False), ("2001", False)])
def test_elo_scores_must_be_plausible(tmp_path, score, ok):
    path = write_quality(tmp_path / "q.csv", [f"m,lmarena_text,{score},elo,https://lmarena.ai/,2025-01-10,"])
    if ok:
        assert load_quality(path)["m"]["lmarena_text"].score == float(score)
    else:
        with pytest.raises(CatalogError, match="between 800 and 2000"):
            load_quality(path)


def test_duplicate_model_and_benchmark_names_the_first_line(tmp_path):
    path = write_quality(tmp_path / "q.csv", [GOOD[0], GOOD[2], GOOD[0].replace("63.1", "64")])
    with pytest.raises(CatalogError, match="first on line 2") as info:
        load_quality(path)
    assert (info.value.line, info.value.column) == (4, "benchmark")


@pytest.mark.parametrize("header", ["model,benchmark,score", HEADER.replace("scale", "unit"),
                                    HEADER + ",served_as", FULL_HEADER.replace("since", "from")])
def test_wrong_header_is_line_1(tmp_path, header):
    with pytest.raises(CatalogError) as info:
        load_quality(write_quality(tmp_path / "q.csv", header=header))
    assert info.value.line == 1


def test_wrong_cell_count_and_missing_file(tmp_path):
    with pytest.raises(CatalogError, match="expected 7 cells, found 6"):
        load_quality(write_quality(tmp_path / "q.csv", [GOOD[0].rsplit(",", 1)[0]]))
    with pytest.raises(CatalogError, match="cannot read"):
        load_quality(tmp_path / "missing.csv")


def _catalog(tmp_path, rows=None):
    return load_models(write_catalog(tmp_path / "m.csv", rows), VENDORS.keys())


def test_every_provider_of_a_model_shares_its_scores(tmp_path):
    ollama = ROWS["groq/llama-3.3-70b"].replace("groq/llama-3.3-70b,groq", "ollama/llama3.3-70b,ollama")
    models = _catalog(tmp_path, [*ROWS.values(), ollama])   # the only ollama row, so its default
    by_id = {m.id: m for m in attach_quality(models, load_quality(write_quality(tmp_path / "q.csv")), "q.csv")}
    assert by_id["groq/llama-3.3-70b"].quality == by_id["ollama/llama3.3-70b"].quality
    assert set(by_id["groq/llama-3.3-70b"].quality) == {"mmlu_pro"}
    assert by_id["openai/gpt-4o"].quality == {} and by_id["google/gemini-2.5-pro"].quality == {}


def test_mmlu_pro_score_is_the_published_score(tmp_path):
    # models.csv leaves gpt-4o-mini's mmlu_pro_score empty: the served value comes from quality.csv
    models = attach_quality(_catalog(tmp_path), load_quality(write_quality(tmp_path / "q.csv")), "q.csv")
    mini = next(m for m in models if m.id == "openai/gpt-4o-mini")
    assert mini.mmlu_pro_score == 63.1 == mini.quality["mmlu_pro"].score
    assert next(m for m in models if m.id == "openai/gpt-4o").mmlu_pro_score is None


@pytest.mark.parametrize("quality_rows,problem", [
    ([GOOD[0]], "quality.csv has None"),                          # llama's 68.9 has no source row
    ([GOOD[0], GOOD[2].replace("68.9", "70.1")], "quality.csv has 70.1"),
])
def test_models_csv_mmlu_pro_must_match_its_source(tmp_path, quality_rows, problem):
    path = write_quality(tmp_path / "q.csv", quality_rows)
    with pytest.raises(CatalogError, match=problem) as info:
        attach_quality(_catalog(tmp_path), load_quality(path), path)
    assert "groq/llama-3.3-70b" in str(info.value) and info.value.path == str(path)


RETIRED = ("v4-flash,gpqa_diamond,88.1,percent,https://example.com/v4-flash,2026-04-24,preview,"
           "v4.1-flash,2026-09-10,https://example.com/updates")


def test_served_as_says_which_checkpoint_the_api_name_serves_now(tmp_path):
    table = load_quality(write_quality(tmp_path / "q.csv", [RETIRED, GOOD[0] + ",,,"], header=FULL_HEADER))
    score = table["v4-flash"]["gpqa_diamond"]
    assert score.served_as == ServedAs("v4.1-flash", "2026-09-10", "https://example.com/updates")
    assert quality_to_dict(table["v4-flash"])["gpqa_diamond"]["served_as"] == {
        "model": "v4.1-flash", "since": "2026-09-10", "source": "https://example.com/updates"}
    assert table["gpt-4o-mini"]["mmlu_pro"].served_as is None   # empty columns: the scored checkpoint


@pytest.mark.parametrize("cells,column", [
    (("v4.1-flash", "", ""), "served_as_since"),
    (("", "2026-09-10", "https://example.com/updates"), "served_as"),
    (("v4.1-flash", "2026-9-10", "https://example.com/updates"), "served_as_since"),
    (("v4.1-flash", "2026-09-10", "http://example.com/updates"), "served_as_source"),
])
def test_served_as_needs_its_date_and_source(tmp_path, cells, column):
    row = ",".join([*GOOD[0].split(","), *cells])
    with pytest.raises(CatalogError, match="go together") as info:
        load_quality(write_quality(tmp_path / "q.csv", [row], header=FULL_HEADER))
    assert (info.value.line, info.value.column) == (2, column)


def test_mmlu_score_is_served_from_quality_csv_where_models_csv_has_none(tmp_path):
    rows = [GOOD[0], GOOD[2], "gemini-2.5-pro,mmlu,89.8,percent,https://example.com/g,2025-06-17,a note"]
    models = {m.id: m for m in attach_quality(_catalog(tmp_path), load_quality(write_quality(tmp_path / "q.csv", rows)),
                                              "q.csv")}
    assert models["google/gemini-2.5-pro"].mmlu_score == 89.8        # models.csv empty: quality.csv's mmlu
    assert models["openai/gpt-4o-mini"].mmlu_score == 82.0           # models.csv (shared/data/mmlu.csv) kept
    assert models["groq/llama-3.3-70b"].mmlu_score == 86.0           # no quality.csv mmlu row: models.csv's


def test_models_csv_mmlu_must_match_quality_csv_where_both_have_one(tmp_path):
    path = write_quality(tmp_path / "q.csv", [GOOD[2], "gpt-4o-mini,mmlu,81.0,percent,https://example.com/m,2024-07-18,x"])
    with pytest.raises(CatalogError, match="mmlu_score 82.0 but quality.csv has 81.0"):
        attach_quality(_catalog(tmp_path), load_quality(path), path)
