"""The service as ops starts it: gunicorn -c gunicorn.conf.py wsgi:app."""
import json
import subprocess

import pytest
import requests

from tests.integration.servers import GUNICORN, REPO, free_port, gunicorn, gunicorn_env, json_lines

pytestmark = pytest.mark.integration


def test_serves_health_and_catalog_with_one_log_line_per_request(encodings_dir):
    with gunicorn(TIKTOKEN_CACHE_DIR=str(encodings_dir)) as (base, server):
        assert requests.get(f"{base}/health", timeout=5).json() == {"status": "ok"}
        body = requests.get(f"{base}/api/models", timeout=5).json()
        assert body["success"] is True and body["count"] >= 60
        price = requests.post(f"{base}/api/get_best_price_for_prompt", json={"prompt": "Hello, world"}, timeout=5)
        assert price.json()["estimated_tokens"] == 3
        server.stop()
        output = server.log()
    # The app's JSON request line replaces gunicorn's access log: one line per request, not two.
    mentions = [line for line in output.splitlines() if "/api/models" in line or "/api/get_best" in line]
    access = [line for line in json_lines(output) if line.get("event") == "request" and line["path"] != "/health"]
    assert [(line["method"], line["path"], line["status"]) for line in access] == [
        ("GET", "/api/models", 200), ("POST", "/api/get_best_price_for_prompt", 200)], output
    assert len(mentions) == 2, output


def _start_and_expect_failure(**settings):
    port = free_port()
    result = subprocess.run([str(GUNICORN), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=REPO,
                            env=gunicorn_env(port, **settings), capture_output=True, text=True, timeout=30)
    return result.returncode, result.stdout + result.stderr


def test_bad_catalog_stops_start_up_naming_file_line_and_column(tmp_path):
    rows = (REPO / "models.csv").read_text().splitlines()
    rows[5] = rows[5].replace(",false,", ",maybe,", 1)
    bad = tmp_path / "models.csv"
    bad.write_text("\n".join(rows) + "\n")
    code, output = _start_and_expect_failure(MODELS_CSV=str(bad))
    assert code != 0
    assert f"{bad}, line 6, column 'default'" in output and "true or false" in output
    assert "Booting worker" not in output   # an app-load failure, not workers restarting


def test_malformed_secrets_file_stops_start_up(tmp_path):
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text("openai: [unclosed")
    code, output = _start_and_expect_failure(SECRETS_FILE=str(secrets))
    assert code != 0 and f"secrets file {secrets}: not valid YAML" in output


def test_requests_gunicorn_cannot_parse_get_the_json_envelope(encodings_dir):
    # gunicorn answers these before the app runs; its worker writes them as JSON, not HTML, and
    # echoes nothing of the request (its query string may hold a credential).
    import socket
    from urllib.parse import urlsplit
    with gunicorn(TIKTOKEN_CACHE_DIR=str(encodings_dir)) as (base, _server):
        host, port = urlsplit(base).hostname, urlsplit(base).port
        for raw, status in ((b"GET /api/models?api_key=secret" + b"x" * 9000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", 414),
                            (b"GET /health HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(40000))
                             + b"\r\n", 431),
                            (b"NOT A REQUEST\r\n\r\n", 400)):
            with socket.create_connection((host, port), timeout=10) as sock:
                try:
                    sock.sendall(raw)
                except OSError:
                    pass   # the server may answer and close before it has read everything
                answer = b""
                while chunk := sock.recv(65536):
                    answer += chunk
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 %d " % status), head
            assert b"Content-Type: application/json" in head
            error = json.loads(body)
            assert error["success"] is False and error["error"]["code"] == status and b"secret" not in answer
