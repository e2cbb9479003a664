"""X-Request-ID: taken when short and printable, else generated; echoed; usable in views."""
import re

import pytest

from app.observability import current_request_id
from app.observability.request_id import accept_or_generate

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize("value", ["abc-123", "0af7651916cd43dd8448eb211c80319c", "Root=1-5759e988-bd862e3f;x",
                                   "x" * 128])
def test_valid_ids_are_kept(value):
    assert accept_or_generate(value) == value


@pytest.mark.parametrize("value", [None, "", "x" * 129, "has space", "tab\there", "new\nline", "é-accent",
                                   "nul\x00byte"])
def test_invalid_ids_are_replaced(value):
    assert GENERATED.fullmatch(accept_or_generate(value))


def test_the_request_id_is_echoed(client):
    response = client.get("/api/models", headers={"X-Request-ID": "trace-42"})
    assert response.headers["X-Request-ID"] == "trace-42"


def test_an_invalid_request_id_is_replaced_and_the_new_one_echoed(client):
    response = client.get("/api/models", headers={"X-Request-ID": "bad id with spaces"})
    assert GENERATED.fullmatch(response.headers["X-Request-ID"])


def test_a_request_id_is_generated_for_each_request_without_one(client):
    first, second = (client.get("/health").headers["X-Request-ID"] for _ in range(2))
    assert GENERATED.fullmatch(first) and GENERATED.fullmatch(second) and first != second


@pytest.mark.parametrize("path,status", [("/nothing", 404), ("/api/send_prompt", 405)])
def test_error_responses_carry_the_id_too(client, path, status):
    response = client.get(path, headers={"X-Request-ID": "err-1"})
    assert response.status_code == status and response.headers["X-Request-ID"] == "err-1"


def test_current_request_id_in_a_view_and_none_outside(app):
    assert current_request_id() is None
    with app.test_request_context("/api/models", headers={"X-Request-ID": "view-7"}):
        app.preprocess_request()
        assert current_request_id() == "view-7"
    with app.test_request_context("/api/models"):
        app.preprocess_request()
        assert GENERATED.fullmatch(current_request_id())
