"""GET / and /assets/*: an HTML shell and JavaScript modules; all data comes from the API."""
from __future__ import annotations

from flask import Blueprint, render_template

from app.page_headers import add_page_headers

bp = Blueprint("web", __name__, static_folder="static", static_url_path="/assets", template_folder="templates")
bp.after_request(add_page_headers)

OPENAPI_PATHS = {"/": {"get": {
    "summary": "The page: catalog, prompt costs, answers side by side, cost vs quality", "tags": ["page"],
    "description": "An HTML page for people; it calls the API with the API key typed into it.",
    "security": [],
    "responses": {"200": {"description": "HTML page", "content": {"text/html": {"schema": {"type": "string"}}}}}}}}


@bp.get("/")
def index() -> str:
    """Serve the page."""
    return render_template("web/index.html")
