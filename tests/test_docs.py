"""README stays a short first read; docs/ holds the rest, with links that resolve and settings that match the code."""
import re
import subprocess
import sys

import pytest

from app.config import SETTINGS, Setting
from tests.conftest import REPO

README = REPO / "README.md"
DOCS = REPO / "docs"
PAGES = ("api", "gateway", "operations", "spend", "catalog", "quality", "deployment", "settings", "development")
MARKDOWN = [README, *sorted(DOCS.glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} (.+)$")


def test_readme_is_at_most_200_lines():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines; move detail into docs/"


def test_the_quick_start_reaches_an_sdk_call_within_80_lines():
    first = "\n".join(README.read_text(encoding="utf-8").splitlines()[:80])
    for needed in ("make run", "make test", "/api/get_best_price_for_prompt", "/api/send_prompt",
                   "pip install openai", 'base_url="http://localhost:3001/v1"'):
        assert needed in first, needed


def test_readme_maps_every_docs_page():
    text = README.read_text(encoding="utf-8")
    assert {path.stem for path in DOCS.glob("*.md")} == set(PAGES)
    for page in PAGES:
        assert f"(docs/{page}.md)" in text, page


def anchors(text: str) -> set[str]:
    """GitHub's anchors for the headings outside code fences."""
    found, fenced = set(), False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (match := HEADING.match(line)):
            found.add(re.sub(r"[^\w\- ]", "", match[1].strip().lower()).replace(" ", "-"))
    return found


@pytest.mark.parametrize("document", MARKDOWN, ids=lambda path: path.relative_to(REPO).as_posix())
def test_every_relative_link_and_anchor_resolves(document):
    text = document.read_text(encoding="utf-8")
    for target in LINK.findall(text):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, anchor = target.partition("#")
        linked = (document.parent / path).resolve() if path else document
        assert linked.exists(), f"{document.name}: {target} does not exist"
        if anchor:
            assert anchor in anchors(linked.read_text(encoding="utf-8")), f"{document.name}: no #{anchor} in {path}"


@pytest.mark.parametrize("document", MARKDOWN, ids=lambda path: path.relative_to(REPO).as_posix())
def test_every_source_path_named_exists(document):
    text = document.read_text(encoding="utf-8")
    for path in set(re.findall(r"`((?:app|tests|scripts|bench|deploy)/[\w./-]*\w)`", text)):
        if "/." in path:   # made by a run (bench/.anchors-venv), not in the checkout
            continue
        assert (REPO / path).exists(), f"{document.name} names {path}, which does not exist"


def test_every_setting_has_a_one_line_description():
    for name, setting in SETTINGS.items():
        assert isinstance(setting, Setting) and setting.doc.strip(), name
        assert "\n" not in setting.doc and "|" not in setting.doc.replace("\\|", ""), name


def test_settings_doc_matches_app_config():
    done = subprocess.run([sys.executable, "scripts/settings_doc.py", "--check"], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_settings_doc_lists_every_setting_and_vendor_variable():
    from app.vendors import VENDORS

    text = (DOCS / "settings.md").read_text(encoding="utf-8")
    for name in SETTINGS:
        assert f"| `{name}` |" in text, name
    for vendor in VENDORS.values():
        for names in vendor.env.values():
            for variable in names:
                assert f"`{variable}`" in text, variable


def test_the_check_fails_when_a_description_changes(monkeypatch):
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import settings_doc
    finally:
        sys.path.remove(str(REPO / "scripts"))
    port = SETTINGS["PORT"]
    monkeypatch.setitem(SETTINGS, "PORT", port._replace(doc=port.doc + " (changed)"))
    assert settings_doc.main(["--check"]) == 1
    monkeypatch.setitem(SETTINGS, "PORT", (port.default, port.parse))   # a setting added without Setting(...)
    assert settings_doc.main(["--check"]) == 1


def test_convert_turns_a_commented_setting_into_a_described_one():
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import settings_doc
    finally:
        sys.path.remove(str(REPO / "scripts"))
    before = '    "NEW_LIMIT": ("300/minute", str.strip),   # per principal on "/v1", counted once\n'
    after = settings_doc.convert(before)
    assert after == '    "NEW_LIMIT": Setting("300/minute", str.strip, "per principal on \\"/v1\\", counted once"),\n'
    namespace = {"Setting": Setting}
    exec("table = {\n" + after + "}", namespace)
    assert namespace["table"]["NEW_LIMIT"].doc == 'per principal on "/v1", counted once'
