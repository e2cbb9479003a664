"""scripts/released.py: the released column added and filled mechanically, sources first, git history second."""
import csv
import shutil
import subprocess
from pathlib import Path

from app.catalog import load_models
from app.catalog.model import COLUMNS
from app.vendors import VENDORS
from scripts.released import SOURCES, fill

REPO = Path(__file__).resolve().parents[2]


def test_every_row_of_the_catalog_has_a_release_date_and_sourced_ones_match():
    models = load_models(REPO / "models.csv", VENDORS.keys())
    assert all(m.released for m in models)
    for model in models:
        if model.model_name in SOURCES:
            assert model.released == SOURCES[model.model_name][0]


def test_rows_without_the_column_are_filled_from_sources_then_git_history(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    with open(REPO / "models.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    legacy = [row[:-1] for row in rows]   # the file as it was before the column
    path = tmp_path / "models.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(legacy[:3])
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "add", "models.csv"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "first", "--date", "2026-01-02T00:00:00Z"], check=True,
                   env={"GIT_COMMITTER_DATE": "2026-01-02T00:00:00Z", "PATH": "/usr/bin:/bin"})
    with open(path, "a", newline="", encoding="utf-8") as handle:   # a row appended later, uncommitted
        csv.writer(handle, lineterminator="\n").writerow(legacy[3])
    filled = {model_id: (day, basis) for model_id, day, basis in fill(path)}
    with open(path, newline="", encoding="utf-8") as handle:
        written = list(csv.reader(handle))
    assert tuple(written[0]) == COLUMNS and all(len(row) == len(COLUMNS) for row in written)
    assert [row[:-1] for row in written] == legacy[:4]
    first, second, third = (row[0] for row in legacy[1:4])
    sourced = {r[0]: SOURCES[r[2]][0] for r in legacy[1:4] if r[2] in SOURCES}
    for model_id in (first, second):
        expected = sourced.get(model_id, "2026-01-02")
        assert filled[model_id][0] == expected
    assert third not in filled or third in sourced   # not in git history yet: left empty unless sourced
    shutil.rmtree(tmp_path / ".git")
