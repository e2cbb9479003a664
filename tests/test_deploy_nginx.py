"""deploy/nginx.conf fits the app's settings; `nginx -t` accepts it when nginx is installed."""
import re
import subprocess

from app.config import SETTINGS
from tests.integration.servers import REPO, render_nginx, server_binary

TEMPLATE = (REPO / "deploy" / "nginx.conf").read_text()
CONFIG = "\n".join(line.split("#")[0] for line in TEMPLATE.splitlines())   # without comments


def block(name: str) -> str:
    start = CONFIG.index(name)
    return CONFIG[start:CONFIG.index("}", start)]


def seconds(directive: str) -> int:
    return int(re.search(rf"{directive} (\d+)s;", CONFIG).group(1))


def test_only_the_three_documented_variables_are_templated():
    assert set(re.findall(r"\$\{(\w+)\}", CONFIG)) == {"NGINX_USER", "NGINX_LISTEN", "PRICE_RUNNER_UPSTREAM"}


def test_body_limit_matches_max_content_length():
    megabytes = int(re.search(r"client_max_body_size (\d+)m;", CONFIG).group(1))
    assert megabytes * 1024 * 1024 == SETTINGS["MAX_CONTENT_LENGTH"][0]


def test_proxy_timeouts_exceed_the_provider_deadline():
    deadline = SETTINGS["PROVIDER_TIMEOUT"][0]
    assert seconds("proxy_read_timeout") > deadline + 15 and seconds("proxy_send_timeout") > deadline


def test_send_prompt_is_not_buffered_and_forwarding_headers_are_set():
    assert "proxy_buffering off;" in block("location = /api/send_prompt")
    for header in ("X-Forwarded-For $proxy_add_x_forwarded_for", "X-Forwarded-Proto $scheme",
                   "X-Request-ID $request_id_out"):
        assert f"proxy_set_header {header};" in CONFIG


def test_rendered_config_passes_nginx_t(tmp_path):
    binary = server_binary("nginx")
    (tmp_path / "logs").mkdir()
    (tmp_path / "tmp").mkdir()
    conf = tmp_path / "nginx.conf"
    conf.write_text(render_nginx("127.0.0.1:18080", "127.0.0.1:3001"))
    result = subprocess.run([binary, "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_every_error_nginx_makes_has_an_internal_json_page_a_browser_can_read():
    pages = re.findall(r"error_page ([\d ]+) (?:=\d+ )?(/_errors/\d+);", CONFIG)
    assert {code for codes, _ in pages for code in codes.split()} >= {"413", "494", "502", "504"}
    for _, uri in pages:
        page = block(f"location = {uri} ")
        assert "internal;" in page and "default_type application/json;" in page
        assert "add_header Access-Control-Allow-Origin * always;" in page


def test_json_is_gzipped_but_event_streams_are_not():
    assert "gzip on;" in CONFIG and "gzip_vary on;" in CONFIG
    assert re.search(r"gzip_types application/json;", CONFIG) and "event-stream" not in CONFIG


def test_a_post_that_reached_an_instance_is_never_sent_to_another():
    # `non_idempotent` would resend a send_prompt the vendor may already have billed.
    directives = re.findall(r"proxy_next_upstream\s+([^;]*);", CONFIG)
    assert directives == ["error timeout"]
    assert "non_idempotent" not in CONFIG


def test_several_instances_render_as_one_server_line_each():
    rendered = render_nginx("127.0.0.1:8080", ["127.0.0.1:3001", "127.0.0.1:3002"])
    upstream = rendered[rendered.index("upstream price_runner {"):]
    upstream = upstream[:upstream.index("}")]
    assert re.findall(r"^\s*server (\S+);", upstream, re.M) == ["127.0.0.1:3001", "127.0.0.1:3002"]


def test_v1_errors_nginx_makes_are_in_openais_format():
    import json
    v1 = block("location /v1/ ")
    pages = dict(re.findall(r"error_page (\d+) (/_errors/v1/\d+);", v1))
    assert set(pages) == {"413", "502", "504"} and "proxy_buffering off;" in v1
    for status, uri in pages.items():
        page = block(f"location = {uri} ")
        assert "internal;" in page and "default_type application/json;" in page
        start = CONFIG.index(f"location = {uri} ")
        body = json.loads(re.compile(rf"return {status} '(.*)';").search(CONFIG, start).group(1))
        assert set(body["error"]) == {"message", "type", "param", "code"}
        assert body["error"]["type"] == ("invalid_request_error" if status == "413" else "server_error")
