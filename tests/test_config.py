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
