"""Headers for the HTML pages (the page at / and the API docs): nothing loads from another origin."""
from __future__ import annotations

from flask import Response, request

# Scripts, styles, images and API calls from this origin only: no CDN, no inline script, and a
# page cannot be framed. data: images are Swagger UI's icons (inside its own stylesheet).
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                           "form-action 'self'; frame-ancestors 'none'")
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# Seconds a browser reuses a page's file before asking again (then its ETag gets a 304): a page
# load is a dozen files, and each request counts against the client's rate limit.
ASSET_MAX_AGE = 300


def add_page_headers(response: Response) -> Response:
    """after_request for page blueprints: the policy above on every answer; files cached a while."""
    response.headers.update(PAGE_HEADERS)
    if response.status_code in (200, 304) and (request.endpoint or "").endswith(".static"):
        response.cache_control.no_cache = None
        response.cache_control.public = True   # the files hold no data, also with auth on
        response.cache_control.max_age = ASSET_MAX_AGE
    return response
