"""Chunked request bodies through real gunicorn: over MAX_CONTENT_LENGTH is a 413, never a cut body."""
import pytest
import requests

from tests.integration.servers import gunicorn

pytestmark = pytest.mark.integration
PRICE = "/api/get_best_price_for_prompt"


def chunks(prompt_chars: int, chunk: int = 100):
    """A JSON body as an iterator, so requests sends it chunked (no Content-Length)."""
    body = b'{"prompt": "' + b"x" * prompt_chars + b'"}'
    return (body[i:i + chunk] for i in range(0, len(body), chunk))


@pytest.fixture(scope="module")
def server(encodings_dir):
    with gunicorn(MAX_CONTENT_LENGTH="1000", TIKTOKEN_CACHE_DIR=str(encodings_dir)) as (base, process):
        yield base


def post_chunked(base, prompt_chars):
    return requests.post(f"{base}{PRICE}", data=chunks(prompt_chars), timeout=10,
                         headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("prompt_chars", [1000 - 14 + 1, 5000, 200_000])
def test_a_chunked_body_over_the_cap_is_a_413_envelope(server, prompt_chars):
    response = post_chunked(server, prompt_chars)
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert response.status_code == 413 and response.headers["Content-Type"] == "application/json"
    assert response.json()["error"] == {"code": 413, "message": "The request body is too large."}


def test_a_chunked_body_at_the_cap_is_served_whole(server):
    response = post_chunked(server, 1000 - 14)
    assert response.status_code == 200 and response.json()["prompt"] == "x" * (1000 - 14)


def test_the_service_still_answers_after_a_413(server):
    post_chunked(server, 5000)
    assert requests.get(f"{server}/health", timeout=5).status_code == 200
