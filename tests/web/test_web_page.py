"""The page and the docs as files: served, same-origin only, open without credentials, nothing from a CDN."""
import re
from html.parser import HTMLParser
from pathlib import Path

import flask_swagger_ui
import pytest

from app.page_headers import CONTENT_SECURITY_POLICY
from tests.web import browser

REPO = Path(__file__).resolve().parents[2]
OWN_ASSETS = [p for d in ("app/web/static", "app/web/templates", "app/openapi/static") for p in (REPO / d).rglob("*")
              if p.is_file()]
API_KEY = "web-test-key-0123456789"
# The one absolute URL our assets hold is a namespace name, never fetched.
SVG_NAMESPACE = "http://www.w3.org/2000/svg"


class References(HTMLParser):
    """The src and href attributes of a page."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def references(html: str) -> list[str]:
    parser = References()
    parser.feed(html)
    return parser.urls


def test_the_page_is_html_under_a_same_origin_policy(client):
    response = client.get("/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "default-src 'self'" in CONTENT_SECURITY_POLICY and "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    urls = references(response.get_data(as_text=True))
    assert "/assets/js/main.js" in urls and "/assets/css/page.css" in urls and "/api/docs" in urls
    assert all(url.startswith(("/", "#", "data:")) for url in urls), urls


def test_page_files_are_cached_a_while_and_revalidated(client):
    asset = client.get("/assets/js/main.js")
    assert asset.headers["Cache-Control"] == "public, max-age=300" and asset.headers["ETag"]
    again = client.get("/assets/js/main.js", headers={"If-None-Match": asset.headers["ETag"]})
    assert again.status_code == 304 and again.headers["Cache-Control"] == "public, max-age=300"
    assert client.get("/api/docs/ui/swagger-ui.css").headers["Cache-Control"] == "public, max-age=300"
    assert "max-age" not in client.get("/").headers.get("Cache-Control", "")   # the page itself: fresh


def test_every_module_the_page_imports_is_served(client):
    pending, seen = ["/assets/js/main.js"], set()
    while pending:
        path = pending.pop()
        seen.add(path)
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype == "text/javascript", path
        for name in re.findall(r'from "\./([\w.]+\.js)"', response.get_data(as_text=True)):
            if f"/assets/js/{name}" not in seen:
                pending.append(f"/assets/js/{name}")
    on_disk = {f"/assets/js/{p.name}" for p in (REPO / "app/web/static/js").glob("*.js")}
    assert seen == on_disk   # no module left unused, none missing


@pytest.mark.parametrize("path", OWN_ASSETS, ids=lambda p: str(p.relative_to(REPO)))
def test_our_assets_name_no_other_origin(path):
    urls = re.findall(r"(?:https?:)?//[\w.-]+\.\w+[^\s\"'`)]*", path.read_text())
    assert set(urls) <= {SVG_NAMESPACE}, urls


def test_the_docs_page_loads_swagger_ui_from_this_service(client):
    response = client.get("/api/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    urls = references(response.get_data(as_text=True))
    assert "/api/docs/ui/swagger-ui-bundle.js" in urls and "/api/docs/ui/swagger-ui.css" in urls
    assert all(url.startswith("/") or url == "openapi.json" for url in urls), urls
    bundle = client.get("/api/docs/ui/swagger-ui-bundle.js")
    shipped = Path(flask_swagger_ui.__file__).parent / "dist" / "swagger-ui-bundle.js"
    assert bundle.status_code == 200 and bundle.get_data() == shipped.read_bytes()
    for url in urls:
        if url != "openapi.json":
            assert client.get(url).status_code == 200, url


def test_pages_open_without_credentials_while_the_api_needs_them(make_app):
    client = make_app(AUTH_MODE="api_key", API_KEYS=[API_KEY]).test_client()
    for path in ("/", "/assets/js/main.js", "/assets/css/page.css", "/api/docs", "/api/docs/static/docs.js",
                 "/api/docs/ui/swagger-ui-bundle.js"):
        assert client.get(path).status_code == 200, path
    for path in ("/api/openapi.json", "/api/models", "/api/providers", "/static/x.js"):
        assert client.get(path).status_code == 401, path
    assert client.get("/api/openapi.json", headers={"X-API-Key": API_KEY}).status_code == 200
    assert client.get("/assets/js/nothing.js").status_code == 404   # a missing file is a plain 404
    escape = client.get("/assets/../api/models")   # the open file route serves its folder only
    assert escape.status_code == 404 and escape.get_json()["success"] is False


def test_without_chromium_the_browser_tests_skip_and_say_why(monkeypatch):
    monkeypatch.setattr(browser.shutil, "which", lambda name, path=None: None)
    monkeypatch.delenv("REQUIRE_SERVERS", raising=False)
    with pytest.raises(pytest.skip.Exception, match="browser tests skipped: Chromium is not installed"):
        browser.chromium_binaries()
    monkeypatch.setenv("REQUIRE_SERVERS", "1")   # CI: a missing browser fails instead
    with pytest.raises(pytest.fail.Exception, match="REQUIRE_SERVERS=1 but browser tests skipped"):
        browser.chromium_binaries()
