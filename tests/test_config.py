"""Settings come from the factory argument, then the environment, then defaults."""
import pytest

from app.config import SETTINGS, ConfigError, build_config


def test_defaults_without_environment():
    config = build_config(environ={})
    assert config["CORS_ORIGINS"] == "*"
    assert config["MAX_CONTENT_LENGTH"] == 20 * 1024 * 1024
    assert config["PROVIDER_TIMEOUT"] == 30.0
    assert config["SECRETS_FILE"] == "secrets.yaml"
    assert config["MODELS_CSV"].endswith("models.csv")


def test_environment_overrides_defaults_and_is_parsed():
    config = build_config(environ={"CORS_ORIGINS": "https://a.example, https://b.example",
                                   "MAX_CONTENT_LENGTH": "1024", "PROVIDER_TIMEOUT": "2.5",
                                   "LOG_LEVEL": "debug"})
    assert config["CORS_ORIGINS"] == ["https://a.example", "https://b.example"]
    assert config["MAX_CONTENT_LENGTH"] == 1024
    assert config["PROVIDER_TIMEOUT"] == 2.5
    assert config["LOG_LEVEL"] == "DEBUG"


def test_factory_argument_overrides_environment():
    config = build_config({"MAX_CONTENT_LENGTH": 10, "TESTING": True},
                          environ={"MAX_CONTENT_LENGTH": "1024"})
    assert config["MAX_CONTENT_LENGTH"] == 10 and config["TESTING"] is True


def test_empty_environment_value_means_default():
    assert build_config(environ={"PROVIDER_TIMEOUT": ""})["PROVIDER_TIMEOUT"] == 30.0


@pytest.mark.parametrize("name,value", [("MAX_CONTENT_LENGTH", "lots"), ("PROVIDER_TIMEOUT", "0"),
                                        ("PROVIDER_MAX_RETRIES", "-1")])
def test_bad_values_are_config_errors_naming_the_setting(name, value):
    with pytest.raises(ConfigError, match=name):
        build_config(environ={name: value})


def test_every_setting_is_read_from_the_environment():
    assert set(SETTINGS) >= {"LOG_LEVEL", "CORS_ORIGINS", "MODELS_CSV", "SECRETS_FILE", "MAX_CONTENT_LENGTH"}


def test_the_provider_pool_fits_every_request_thread_calling_its_most_models():
    assert build_config(environ={})["PROVIDER_POOL_SIZE"] == 8 * 10
    sized = build_config(environ={"GUNICORN_THREADS": "4", "SEND_PROMPT_MAX_MODELS": "3"})
    assert sized["PROVIDER_POOL_SIZE"] == 12
    assert build_config(environ={"PROVIDER_POOL_SIZE": "5", "GUNICORN_THREADS": "4"})["PROVIDER_POOL_SIZE"] == 5


def test_vendor_fault_settings_have_safe_defaults():
    config = build_config(environ={})
    assert config["PROVIDER_MAX_RESPONSE_BYTES"] == 4 * 1024 * 1024
    assert config["ANSWER_CACHE_SCOPE"] == "principal"
    assert 0 < config["ANSWER_CACHE_MAX_ITEM_BYTES"] < config["ANSWER_CACHE_MAX_BYTES"]


@pytest.mark.parametrize("name,value", [("ANSWER_CACHE_SCOPE", "everyone"), ("PROVIDER_MAX_RESPONSE_BYTES", "0"),
                                        ("GUNICORN_THREADS", "0"), ("ANSWER_CACHE_MAX_BYTES", "-1")])
def test_bad_vendor_fault_settings_are_config_errors(name, value):
    with pytest.raises(ConfigError, match=name):
        build_config(environ={name: value})


def test_the_shutdown_grace_outlasts_the_provider_deadline():
    assert build_config(environ={})["GRACEFUL_TIMEOUT"] == 30 + 15
    assert build_config(environ={"PROVIDER_TIMEOUT": "10.5"})["GRACEFUL_TIMEOUT"] == 26
    assert build_config(environ={"GRACEFUL_TIMEOUT": "60"})["GRACEFUL_TIMEOUT"] == 60
    assert build_config(environ={})["DRAIN_FILE"] is None


@pytest.mark.parametrize("grace", ["30", "12", "0"])
def test_a_grace_no_longer_than_the_provider_deadline_is_refused(grace):
    # Killed before its deadline, a call in flight could be billed and never recorded.
    with pytest.raises(ConfigError, match="GRACEFUL_TIMEOUT must be longer than PROVIDER_TIMEOUT"):
        build_config(environ={"GRACEFUL_TIMEOUT": grace, "PROVIDER_TIMEOUT": "30"})
