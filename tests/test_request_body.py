"""Every byte a client sends gets the JSON envelope: surrogates, deep nesting, chunked bodies."""
import io
import json

import pytest
import responses
from werkzeug.test import EnvironBuilder, run_wsgi_app

from app.responses import json_response

PRICE, SEND = "/api/get_best_price_for_prompt", "/api/send_prompt"
SURROGATE_BODIES = {
    "in the prompt": b'{"prompt": "hi \\ud800"}',
    "low half alone": b'{"prompt": "hi \\udfff there"}',
    "in the system prompt": b'{"prompt": "hi", "system": "\\ud800"}',
    "in a field name": b'{"prompt": "hi", "\\ud800": 1}',
    "in a provider name": b'{"prompt": "hi", "providers": ["\\ud800"]}',
    "in a model name": b'{"prompt": "hi", "model_names": ["openai/\\udbff"]}',
    "as raw bytes": b'{"prompt": "hi \xed\xa0\x80"}',
}


def post(client, path, body, **kwargs):
    return client.post(path, data=body, content_type="application/json", **kwargs)


def assert_envelope(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["success"] is False and body["error"]["code"] == status
    return body["error"]["message"]


@pytest.fixture(params=[False, True], ids=["plain", "log_prompts"])
def client(request, make_app):
    # LOG_PROMPTS re-reads the body after the view: it must not fail on what the view refused.
    return make_app(TESTING=False, LOG_PROMPTS=request.param).test_client()


@pytest.mark.parametrize("path", [PRICE, SEND])
@pytest.mark.parametrize("body", SURROGATE_BODIES.values(), ids=SURROGATE_BODIES.keys())
def test_a_lone_surrogate_anywhere_is_a_400_naming_it(client, path, body, capsys):
    capsys.readouterr()
    message = assert_envelope(post(client, path, body), 400)
    assert message.startswith("The request body is not valid JSON:") and "surrogate" in message
    out, err = capsys.readouterr()
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["status"] for line in lines if line.get("event") == "request"] == [400]
    assert "Logging error" not in err


def test_a_surrogate_pair_is_ordinary_text(client):
    response = post(client, PRICE, b'{"prompt": "smile \\ud83d\\ude00"}')
    assert response.status_code == 200 and response.get_json()["prompt"] == "smile \U0001F600"


@pytest.mark.parametrize("path", [PRICE, SEND])
@pytest.mark.parametrize("body", [b"[" * 10_000 + b"]" * 10_000,
                                  b'{"prompt": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
                                  b'{"prompt": "hi", "providers": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"],
                         ids=["whole body", "prompt", "providers"])
def test_json_nested_ten_thousand_levels_is_a_400(client, path, body):
    assert "depth" in assert_envelope(post(client, path, body), 400)


DEEP = b"[" * 1000 + b"]" * 1000   # within the parser's 1,024 levels


@pytest.mark.parametrize("field,body", [("prompt", b'{"prompt": %s}' % DEEP),
                                        ("providers", b'{"prompt": "hi", "providers": %s}' % DEEP),
                                        ("model_names", b'{"prompt": "hi", "model_names": %s}' % DEEP),
                                        ("system", b'{"prompt": "hi", "system": %s}' % DEEP)])
def test_deep_but_parseable_nesting_is_a_field_error(client, field, body):
    response = post(client, PRICE, body)
    assert_envelope(response, 400)
    assert field in response.get_json()["error"]["fields"]


@pytest.mark.parametrize("body", [b"", b"NaN", b'{"prompt": "hi", "limit": Infinity}', b"\xff\xfe"])
def test_other_invalid_json_is_a_400(client, body):
    assert "not valid JSON" in assert_envelope(post(client, PRICE, body), 400)


def chunked(app, body: bytes, path=PRICE):
    """POST body as a WSGI server hands on a chunked request: no Content-Length, input terminated."""
    environ = EnvironBuilder(path=path, method="POST", input_stream=io.BytesIO(body),
                             content_type="application/json").get_environ()
    del environ["CONTENT_LENGTH"]
    environ["wsgi.input_terminated"] = True
    # Straight to the WSGI app: the test client would measure the stream and set Content-Length.
    chunks, status, headers = run_wsgi_app(app, environ, buffered=True)
    return app.response_class(b"".join(chunks), status, headers)


def body_of_size(size: int) -> bytes:
    frame = b'{"prompt": ""}'
    return frame[:-2] + b"x" * (size - len(frame)) + frame[-2:]


@pytest.fixture(params=[False, True], ids=["plain", "log_prompts"])
def small_app(request, make_app):
    return make_app(TESTING=False, LOG_PROMPTS=request.param, MAX_CONTENT_LENGTH=1000)


@pytest.mark.parametrize("size", [1001, 1002, 5000])
def test_a_chunked_body_over_the_cap_is_a_413_not_cut(small_app, size):
    assert_envelope(chunked(small_app, body_of_size(size)), 413)


@pytest.mark.parametrize("size", [999, 1000])
def test_a_chunked_body_within_the_cap_is_served(small_app, size):
    response = chunked(small_app, body_of_size(size))
    assert response.status_code == 200 and len(response.get_json()["prompt"]) == size - 14


def test_a_body_with_content_length_over_the_cap_is_a_413(small_app):
    assert_envelope(post(small_app.test_client(), SEND, body_of_size(1001)), 413)


def test_a_413_keeps_the_cors_headers(make_app):
    client = make_app(MAX_CONTENT_LENGTH=1000, CORS_ORIGINS="https://app.example").test_client()
    environ_base = {"HTTP_ORIGIN": "https://app.example"}
    response = client.post(PRICE, data=body_of_size(2000), content_type="application/json", environ_base=environ_base)
    assert response.status_code == 413
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example"


def test_a_vendor_answer_with_a_lone_surrogate_keeps_its_text_readable(make_app, tmp_path):
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text('openai: {api_key: sk-test-openai-0123456789, base_url: "https://openai.test/v1"}\n')
    client = make_app(SECRETS_FILE=str(secrets), PROVIDER_MAX_RETRIES=0).test_client()
    reply = ('{"choices": [{"index": 0, "message": {"role": "assistant", "content": "bad \\ud800 text"},'
             ' "finish_reason": "stop"}], "usage": {"prompt_tokens": 3, "completion_tokens": 2}}')
    with responses.RequestsMock() as mocked:
        mocked.post("https://openai.test/v1/chat/completions", body=reply, content_type="application/json")
        response = client.post(SEND, json={"prompt": "hi", "model_names": ["openai/gpt-6.1-sol"]})
    assert response.status_code == 200
    # The adapter replaces what no encoder can write with U+FFFD (app/providers/shapes.py);
    # json_response would still escape one that got through (the next test).
    assert json.loads(response.get_data())["data"][0]["response"] == "bad \ufffd text"


def test_responses_encode_lone_surrogates_as_json_escapes():
    assert json_response({"text": "a\ud800b", "n": 1.5}).get_data() == b'{"text":"a\\ud800b","n":1.5}'
