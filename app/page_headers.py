"""Headers for the HTML pages (the page at / and the API docs): nothing loads from another origin."""
from __future__ import annotations

from flask import Response

# Scripts, styles, images and API calls from this origin only: no CDN, no inline script, and a
# page cannot be framed. data: images are Swagger UI's icons (inside its own stylesheet).
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                           "form-action 'self'; frame-ancestors 'none'")
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def add_page_headers(response: Response) -> Response:
    """after_request for page blueprints: the policy above on every answer."""
    response.headers.update(PAGE_HEADERS)
    return response
