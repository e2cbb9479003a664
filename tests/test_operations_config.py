"""Operations settings (issue 5): defaults, parsing from the environment, validation."""
import pytest

from app.config import ConfigError, build_config

DEFAULTS = {"METRICS_ENABLED": True, "METRICS_REQUIRE_AUTH": False, "LOG_PROMPTS": False,
            "RATELIMIT_ENABLED": True, "RATELIMIT_DEFAULT": "120/minute", "RATELIMIT_SEND_PROMPT": "20/minute",
            "RATELIMIT_STORAGE_URI": "memory://", "TRUSTED_PROXIES": 0, "AUTH_MODE": "none", "API_KEYS": (),
            "API_KEYS_FILE": None, "JWT_SECRET": None, "JWT_PUBLIC_KEY": None, "JWT_ALGORITHM": None,
            "JWT_AUDIENCE": None, "JWT_ISSUER": None}


def test_defaults():
    config = build_config(environ={})
    assert {name: config[name] for name in DEFAULTS} == DEFAULTS


def test_environment_is_parsed():
    config = build_config(environ={
        "METRICS_ENABLED": "off", "LOG_PROMPTS": "yes", "RATELIMIT_ENABLED": "0", "TRUSTED_PROXIES": "2",
        "RATELIMIT_DEFAULT": " 10/second;500/hour ", "RATELIMIT_STORAGE_URI": "redis://cache:6379/1",
        "AUTH_MODE": " JWT ", "JWT_SECRET": "s" * 32, "JWT_AUDIENCE": "price-runner",
        "API_KEYS": "k1-aaaaaaaaaaaaaaaa, ,k2-bbbbbbbbbbbbbbbb"})
    assert (config["METRICS_ENABLED"], config["LOG_PROMPTS"], config["RATELIMIT_ENABLED"]) == (False, True, False)
    assert config["TRUSTED_PROXIES"] == 2 and config["RATELIMIT_DEFAULT"] == "10/second;500/hour"
    assert config["AUTH_MODE"] == "jwt" and config["API_KEYS"] == ("k1-aaaaaaaaaaaaaaaa", "k2-bbbbbbbbbbbbbbbb")
    assert config["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/1"


@pytest.mark.parametrize("name,value", [("METRICS_ENABLED", "maybe"), ("TRUSTED_PROXIES", "one"),
                                        ("TRUSTED_PROXIES", "-1"), ("AUTH_MODE", "oauth"),
                                        ("RATELIMIT_DEFAULT", "fast"), ("RATELIMIT_STORAGE_URI", "mongodb://x"),
                                        ("JWT_ALGORITHM", "none")])
def test_bad_values_are_config_errors_naming_the_setting(name, value):
    with pytest.raises(ConfigError, match=name):
        build_config(environ={name: value})


def test_a_secret_is_never_echoed_in_a_config_error():
    with pytest.raises(ConfigError) as caught:
        build_config(environ={"AUTH_MODE": "jwt", "JWT_SECRET": "hunter2-hunter2", "JWT_PUBLIC_KEY": "pem"})
    assert "hunter2" not in str(caught.value)
