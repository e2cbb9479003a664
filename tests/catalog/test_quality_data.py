"""Data tests for quality.csv: sourced, dated, in range, mapped to catalog models; coverage printed.

Run with ``-s`` to see the coverage report (``coverage_report`` below computes it).
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from app.catalog import load_catalog, load_quality
from app.catalog.quality import SCALES

REPO = Path(__file__).resolve().parents[2]
MODELS_CSV, QUALITY_CSV = REPO / "models.csv", REPO / "quality.csv"

# What the bundled data reaches today (see README "Quality scores"); a floor, not the target.
MIN_ROWS_WITH_A_SCORE = 0.27
MIN_ROWS_SHARING_ONE_PERCENT_BENCHMARK = 0.21


@pytest.fixture(scope="module")
def table():
    return load_quality(QUALITY_CSV)


@pytest.fixture(scope="module")
def models():
    return load_catalog(MODELS_CSV, QUALITY_CSV)


def coverage_report(models) -> dict:
    """Share of catalog rows with any score, and with the percent benchmark most rows share."""
    percent = Counter(benchmark for m in models for benchmark, score in m.quality.items()
                      if score.scale == "percent")
    shared, shared_rows = percent.most_common(1)[0] if percent else (None, 0)
    return {"rows": len(models),
            "with_score": sum(1 for m in models if m.quality),
            "shared_benchmark": shared, "with_shared": shared_rows,
            "without": [m.id for m in models if not m.quality]}


def test_every_score_has_a_source_a_date_and_a_score_in_range(table, models):
    catalog_date = max(m.prices_checked for m in models)
    for model, scores in table.items():
        for benchmark, score in scores.items():
            where = f"quality.csv line {score.line} ({model} {benchmark})"
            assert score.source.startswith("https://") and len(score.source) > len("https://x.y"), where
            low, high = SCALES[score.scale]
            assert low <= score.score <= high, where
            # published no later than the catalog snapshot: a later date is a typo or a guess
            assert "2020-01-01" <= score.date <= catalog_date, where


def test_the_mapping_names_only_catalog_models(table, models):
    # quality.csv's `model` is models.csv's model_name: the vendor's name, shared by its providers
    stale = sorted(set(table) - {m.model_name for m in models})
    assert not stale, f"quality.csv scores models the catalog does not list: {stale}"


def test_rows_of_one_model_share_its_scores(models):
    by_name: dict[str, list] = {}
    for model in models:
        by_name.setdefault(model.model_name, []).append(model)
    shared = {name: rows for name, rows in by_name.items() if len(rows) > 1}
    assert len(shared["llama-3.3-70b"]) == 4 and shared["llama-3.3-70b"][0].quality   # the mapping at work
    for name, rows in shared.items():
        assert all(row.quality == rows[0].quality for row in rows), name


def test_mmlu_pro_score_is_a_view_of_quality(models):
    for model in models:
        published = model.quality.get("mmlu_pro")
        assert model.mmlu_pro_score == (published.score if published else None), model.id


def test_every_seed_mmlu_score_has_a_source(models):
    for model in (m for m in models if m.mmlu_score is not None):
        assert "mmlu" in model.quality, f"{model.id}: mmlu_score {model.mmlu_score} without a quality.csv source"
        assert model.quality["mmlu"].score == model.mmlu_score, model.id


def test_coverage_is_reported(models):
    report = coverage_report(models)
    print(f"\nquality coverage: {report['with_score']}/{report['rows']} rows have a published score; "
          f"{report['with_shared']}/{report['rows']} share {report['shared_benchmark']}")
    print("rows without a score:", ", ".join(report["without"]))
    assert report["with_score"] / report["rows"] >= MIN_ROWS_WITH_A_SCORE
    assert report["with_shared"] / report["rows"] >= MIN_ROWS_SHARING_ONE_PERCENT_BENCHMARK
