"""X-Forwarded-For counts only through ProxyFix, with TRUSTED_PROXIES hops; never otherwise."""
import json

import pytest


def request_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if '"event":"request"' in line]


def client_seen(make_app, capsys, forwarded: str, **config) -> str:
    client = make_app(**config).test_client()
    capsys.readouterr()
    # Reading the body completes the response, which is when its log line is written.
    client.get("/api/models", headers={"X-Forwarded-For": forwarded, "X-Forwarded-Proto": "https"},
               environ_base={"REMOTE_ADDR": "10.1.1.1"}).get_data()
    return request_lines(capsys.readouterr().out)[-1]["client"]


def test_forwarded_for_is_ignored_without_trusted_proxies(make_app, capsys):
    assert client_seen(make_app, capsys, "203.0.113.9") == "10.1.1.1"


@pytest.mark.parametrize("hops,expected", [(1, "198.51.100.2"), (2, "203.0.113.9")])
def test_trusted_proxies_counts_hops_from_the_right(make_app, capsys, hops, expected):
    assert client_seen(make_app, capsys, "203.0.113.9, 198.51.100.2", TRUSTED_PROXIES=hops) == expected


def test_spoofed_forwarded_for_cannot_dodge_the_limit_without_trusted_proxies(make_app):
    client = make_app(RATELIMIT_DEFAULT="1/minute").test_client()
    codes = [client.get("/api/models", headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code for n in range(3)]
    assert codes == [200, 429, 429]


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(make_app):
    client = make_app(RATELIMIT_DEFAULT="1/minute", TRUSTED_PROXIES=1).test_client()
    codes = [client.get("/api/models", headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code for n in range(3)]
    assert codes == [200, 200, 200]


def test_trusted_proxies_from_the_environment_and_validated(make_app, monkeypatch, capsys):
    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    assert client_seen(make_app, capsys, "203.0.113.9") == "203.0.113.9"
    from app.config import ConfigError
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        make_app(TRUSTED_PROXIES=-1)


@pytest.mark.parametrize("forwarded", ["not-an-ip", "203.0.113.9:4711", "<script>", "unknown", "::ffff:zz", ""])
def test_a_forwarded_address_that_is_not_an_ip_leaves_the_peer(make_app, capsys, forwarded):
    assert client_seen(make_app, capsys, forwarded, TRUSTED_PROXIES=1) == "10.1.1.1"


def test_forwarded_ipv6_addresses_are_kept(make_app, capsys):
    assert client_seen(make_app, capsys, "2001:db8::7", TRUSTED_PROXIES=1) == "2001:db8::7"
