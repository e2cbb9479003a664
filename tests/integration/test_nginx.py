"""gunicorn behind a real nginx (deploy/nginx.conf): request ids, client address, errors, streaming, gzip."""
import gzip
import http.client
import json
import re
import socket
import time

import pytest
import requests

from tests.integration.servers import free_port, gunicorn, json_lines, nginx, server_binary, stream_arrivals

pytestmark = pytest.mark.integration
APP_MAX_BODY = 1024 * 1024   # the app's MAX_CONTENT_LENGTH here; nginx allows 20m


@pytest.fixture(scope="module")
def stack(fake, encodings_dir, tmp_path_factory):
    server_binary("nginx")   # skip (or fail in CI) before starting anything
    secrets = tmp_path_factory.mktemp("nginx") / "secrets.yaml"
    secrets.write_text(f'openai: {{api_key: sk-nginx-test-openai, base_url: "{fake.url}/v1"}}\n'
                       f'anthropic: {{api_key: sk-ant-nginx-test, base_url: "{fake.url}"}}\n')
    with gunicorn(TIKTOKEN_CACHE_DIR=str(encodings_dir), SECRETS_FILE=str(secrets), TRUSTED_PROXIES="1",
                  MAX_CONTENT_LENGTH=str(APP_MAX_BODY), PROVIDER_MAX_RETRIES="0") as (upstream, app_server):
        with nginx(upstream.removeprefix("http://")) as (base, prefix):
            yield base, app_server, prefix


def request_line(server, request_id: str) -> dict:
    """The app's JSON log line for one request (it is written once the response is sent)."""
    for _ in range(50):
        found = [line for line in json_lines(server.log())
                 if line.get("event") == "request" and line["request_id"] == request_id]
        if found:
            assert len(found) == 1
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no request line for {request_id}:\n{server.log()[-3000:]}")


def test_health_and_a_post_through_nginx_share_one_request_id(stack):
    base, server, prefix = stack
    health = requests.get(f"{base}/health", timeout=5)
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    generated = health.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)     # made by nginx, echoed by the app
    assert request_line(server, generated)["path"] == "/health"

    price = requests.post(f"{base}/api/get_best_price_for_prompt", json={"prompt": "Hello, world"},
                          headers={"X-Request-ID": "nginx-post-1"}, timeout=5)
    assert price.status_code == 200 and price.json()["estimated_tokens"] == 3
    assert price.headers["X-Request-ID"] == "nginx-post-1"
    assert request_line(server, "nginx-post-1")["status"] == 200
    access = [json.loads(line) for line in (prefix / "logs" / "access.log").read_text().splitlines()]
    assert any(line["request_id"] == "nginx-post-1" and line["status"] == 200 for line in access)


def test_the_app_sees_the_client_address_nginx_forwarded_not_a_spoofed_one(stack):
    base, server, _ = stack
    host, port = base.removeprefix("http://").split(":")
    # Connect from 127.0.0.2, so the client differs from nginx's own address (127.0.0.1).
    connection = http.client.HTTPConnection(host, int(port), timeout=5, source_address=("127.0.0.2", 0))
    connection.request("GET", "/api/providers", headers={"X-Forwarded-For": "203.0.113.66",
                                                         "X-Request-ID": "nginx-xff-1"})
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 200
    assert request_line(server, "nginx-xff-1")["client"] == "127.0.0.2"


def test_bodies_too_large_are_json_413s_from_the_app_and_from_nginx(stack):
    base, _, _ = stack
    headers = {"Content-Type": "application/json"}
    by_app = requests.post(f"{base}/api/get_best_price_for_prompt", data=b"x" * (APP_MAX_BODY + 1),
                           headers=headers, timeout=10)
    by_nginx = requests.post(f"{base}/api/get_best_price_for_prompt", data=b"x" * (20 * 1024 * 1024 + 1),
                             headers=headers, timeout=10)
    for response in (by_app, by_nginx):
        assert response.status_code == 413 and response.headers["Content-Type"].startswith("application/json")
        assert response.json() == {"success": False,
                                   "error": {"code": 413, "message": "The request body is too large."}}
    assert "X-Request-ID" in by_nginx.headers
    assert by_nginx.headers["Access-Control-Allow-Origin"] == "*"   # a browser app can read it


def test_v1_bodies_too_large_are_openai_errors_from_the_app_and_from_nginx(stack):
    base, _, _ = stack
    headers = {"Content-Type": "application/json"}
    by_app = requests.post(f"{base}/v1/chat/completions", data=b"x" * (APP_MAX_BODY + 1), headers=headers, timeout=10)
    by_nginx = requests.post(f"{base}/v1/chat/completions", data=b"x" * (20 * 1024 * 1024 + 1), headers=headers,
                             timeout=10)
    for response in (by_app, by_nginx):
        assert response.status_code == 413 and response.headers["Content-Type"].startswith("application/json")
        error = response.json()["error"]
        assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", None, "request_too_large")
    assert "X-Request-ID" in by_nginx.headers


def test_v1_answers_through_nginx(stack, fake):
    base, _, _ = stack
    fake.reset()
    response = requests.post(f"{base}/v1/chat/completions", timeout=10, json={
        "model": "openai/gpt-6.1-sol", "messages": [{"role": "user", "content": "hi"}]})
    assert response.status_code == 200 and response.json()["object"] == "chat.completion"
    assert response.headers["X-Price-Runner-Model"] == "openai/gpt-6.1-sol"


def test_metrics_are_not_exposed_through_nginx(stack):
    base, _, _ = stack
    response = requests.get(f"{base}/metrics", timeout=5)
    assert response.status_code == 404 and response.json()["error"]["code"] == 404


def test_send_prompt_streams_through_nginx_without_buffering(stack, fake):
    # Two guards keep it unbuffered: the location's proxy_buffering off, and the app's
    # X-Accel-Buffering: no; tests/test_deploy_nginx.py checks the first on its own.
    base, _, _ = stack
    fake.reset()
    catalog = {m["id"]: m["api_model"] for m in requests.get(f"{base}/api/models", timeout=5).json()["data"]}
    fake.behave(catalog["openai/gpt-6.1-sol"], delay=0.1)
    fake.behave(catalog["anthropic/claude-haiku-4-5"], delay=1.5)
    arrivals = stream_arrivals(f"{base}/api/send_prompt", {
        "prompt": "hi", "stream": True, "model_names": ["anthropic/claude-haiku-4-5", "openai/gpt-6.1-sol"]})
    assert b"openai/gpt-6.1-sol" in arrivals[0][1] and arrivals[0][0] < 1.0, arrivals
    assert arrivals[-1][0] >= 1.5


def test_tokens_stream_through_nginx_as_the_vendor_sends_them(stack, fake):
    base, _, _ = stack
    fake.reset()
    catalog = {m["id"]: m["api_model"] for m in requests.get(f"{base}/api/models", timeout=5).json()["data"]}
    fake.behave(catalog["anthropic/claude-haiku-4-5"], text="one two three four", tick=0.4)
    arrivals = stream_arrivals(f"{base}/api/send_prompt", {
        "prompt": "hi", "stream": True, "model_names": ["anthropic/claude-haiku-4-5"]}, skip=(), named=True)
    assert [name for _, name, _ in arrivals] == ["delta"] * 4 + ["result", "done"], arrivals
    gaps = [later[0] - earlier[0] for earlier, later in zip(arrivals, arrivals[1:4])]
    assert min(gaps) >= 0.25, arrivals   # each word when the vendor sent it: nginx buffered none


def test_v1_tokens_stream_through_nginx_to_the_openai_sdk_as_the_vendor_sends_them(stack, fake):
    import openai

    base, _, _ = stack
    fake.reset()
    catalog = {m["id"]: m["api_model"] for m in requests.get(f"{base}/api/models", timeout=5).json()["data"]}
    fake.behave(catalog["anthropic/claude-haiku-4-5"], text="one two three four", tick=0.4)
    client = openai.OpenAI(base_url=f"{base}/v1", api_key="unused-here", max_retries=0, timeout=20)
    started, arrivals, chunks = time.monotonic(), [], []
    for chunk in client.chat.completions.create(model="anthropic/claude-haiku-4-5", stream=True,
                                                messages=[{"role": "user", "content": "hi"}],
                                                stream_options={"include_usage": True}):
        chunks.append(chunk)
        if chunk.choices and chunk.choices[0].delta.content:
            arrivals.append(time.monotonic() - started)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "one two three four"
    assert chunks[-1].usage.completion_tokens > 0 and chunks[-1].model_extra["price_runner"]["cost"] > 0
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:])]
    assert len(arrivals) == 4 and min(gaps) >= 0.25, arrivals   # each word when the vendor sent it


def test_an_unreachable_upstream_is_a_json_502():
    with nginx(f"127.0.0.1:{free_port()}") as (base, _):
        response = requests.get(f"{base}/api/models", headers={"X-Request-ID": "nginx-502"}, timeout=5)
    assert response.status_code == 502 and response.headers["X-Request-ID"] == "nginx-502"
    assert response.json() == {"success": False, "error": {
        "code": 502, "message": "The service is unavailable; retry shortly."}}
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_an_unreachable_upstream_is_an_openai_502_under_v1():
    with nginx(f"127.0.0.1:{free_port()}") as (base, _):
        response = requests.get(f"{base}/v1/models", timeout=5)
    assert response.status_code == 502 and response.json() == {"error": {
        "message": "The service is unavailable; retry shortly.", "type": "server_error", "param": None,
        "code": "service_unavailable"}}


def test_a_slow_upstream_is_an_openai_504_under_v1():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        with nginx(f"127.0.0.1:{silent.getsockname()[1]}", edit=impatient) as (base, _):
            response = requests.get(f"{base}/v1/models", timeout=10)
    assert response.status_code == 504 and response.json()["error"]["code"] == "timeout"
    assert response.json()["error"]["type"] == "server_error"


def assert_nginx_error(response, status: int, message: str) -> None:
    """An error nginx made itself: the JSON envelope, a request id, readable from a browser."""
    assert response.status_code == status and response.headers["Content-Type"] == "application/json"
    assert response.json() == {"success": False, "error": {"code": status, "message": message}}
    assert response.headers["Access-Control-Allow-Origin"] == "*" and response.headers["X-Request-ID"]
    assert "X-Request-ID" in response.headers["Access-Control-Expose-Headers"]


def impatient(conf: str) -> str:
    """The shipped config, waiting 1 s instead of 60 for gunicorn's answer."""
    return conf.replace("proxy_read_timeout 60s;", "proxy_read_timeout 1s;")


def test_a_slow_upstream_is_a_json_504():
    with socket.socket() as silent:   # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        upstream = f"127.0.0.1:{silent.getsockname()[1]}"
        with nginx(upstream, edit=impatient) as (base, _):
            response = requests.get(f"{base}/api/models", headers={"Origin": "https://app.example"}, timeout=10)
    assert_nginx_error(response, 504, "The service took too long to answer.")


def test_oversized_headers_are_a_json_431(stack):
    base, _, _ = stack
    response = requests.get(f"{base}/api/models", headers={"Cookie": "session=" + "a" * 16_000}, timeout=5)
    assert_nginx_error(response, 431, "The request headers are too large.")


def test_an_overlong_url_is_a_json_414(stack):
    base, _, _ = stack
    response = requests.get(f"{base}/api/models?pad={'a' * 16_000}", timeout=5)
    assert_nginx_error(response, 414, "The request URL is too long.")


@pytest.mark.parametrize("request_bytes", [
    b"GET /api/models HTTP/1.1\r\nConnection: close\r\n\r\n",   # HTTP/1.1 without Host
    b"GARBAGE\r\n\r\n",                                        # no request line at all: no URI either
], ids=["no-host", "garbage"])
def test_a_request_nginx_cannot_parse_is_a_json_400(stack, request_bytes):
    base, _, _ = stack
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(request_bytes)
        raw = b""
        while chunk := connection.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400") and b"Content-Type: application/json" in head
    assert b"Access-Control-Allow-Origin: *" in head
    assert json.loads(body) == {"success": False, "error": {"code": 400, "message": "The request is malformed."}}


def test_what_nginx_lets_through_never_meets_gunicorns_html_errors(stack):
    # gunicorn's own limits (4 KB request line, 100 headers) sit above nginx's behind a proxy.
    base, _, _ = stack
    for size in (5_000, 8_100, 8_180, 8_200):
        for response in (requests.get(f"{base}/api/models?pad={'a' * size}", timeout=5),
                         requests.get(f"{base}/api/models", headers={"X-Pad": "a" * size}, timeout=5)):
            assert response.headers["Content-Type"] == "application/json", (size, response.status_code)
    many = requests.get(f"{base}/api/models", headers={f"X-Pad-{n}": "a" for n in range(150)}, timeout=5)
    assert many.status_code == 200


def test_the_error_pages_are_not_reachable_from_outside(stack):
    base, _, _ = stack
    assert_nginx_error(requests.get(f"{base}/_errors/502", timeout=5), 404, "No such resource.")


def test_json_is_gzipped_and_still_revalidates(stack):
    base, _, _ = stack
    with requests.get(f"{base}/api/models", headers={"Accept-Encoding": "gzip"}, stream=True, timeout=5) as response:
        compressed = response.raw.read(decode_content=False)
    assert response.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in response.headers["Vary"]
    body = gzip.decompress(compressed)
    assert json.loads(body)["success"] is True and len(compressed) * 5 < len(body)
    # nginx passes the ETag on as a weak one; sent back, it still gets a 304.
    etag = response.headers["ETag"]
    assert etag.startswith('W/"')
    again = requests.get(f"{base}/api/models", headers={"Accept-Encoding": "gzip", "If-None-Match": etag}, timeout=5)
    assert again.status_code == 304
    # Streams are not compressed (each event must leave at once); small answers are not worth it.
    assert "Content-Encoding" not in requests.get(f"{base}/health", timeout=5).headers
