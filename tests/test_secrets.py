"""Credentials: vendor env variables win over secrets.yaml, which wins over defaults."""
import pytest

from app.secrets import SecretsError, load_credentials
from tests.conftest import REPO

FILE = """
openai: {api_key: sk-file-openai, base_url: "http://127.0.0.1:9/v1"}
anthropic: {api_key: file-anthropic}
aws: {access_key_id: AKIAFILE, secret_access_key: file-secret, region: eu-west-1}
azure:
  api_key: file-azure
  endpoint: https://res.openai.azure.com
  deployments: {gpt-4o: my-gpt4o}
ollama: {base_url: "http://127.0.0.1:11434/v1"}
"""


@pytest.fixture
def secrets_file(tmp_path):
    path = tmp_path / "secrets.yaml"
    path.write_text(FILE)
    return path


def test_missing_file_means_no_keys(tmp_path):
    creds = load_credentials(tmp_path / "absent.yaml", environ={})
    assert creds.settings("openai") == {}
    assert creds.settings("bedrock") == {"region": "us-east-1"}
    assert creds.settings("azure") == {"api_version": "2024-10-21", "deployments": {}}


def test_file_sections_map_to_vendors(secrets_file):
    creds = load_credentials(secrets_file, environ={})
    assert creds.settings("openai") == {"api_key": "sk-file-openai", "base_url": "http://127.0.0.1:9/v1"}
    assert creds.settings("bedrock")["region"] == "eu-west-1"
    assert creds.settings("azure")["deployments"] == {"gpt-4o": "my-gpt4o"}
    assert creds.settings("azure")["api_version"] == "2024-10-21"
    assert creds.settings("ollama") == {"base_url": "http://127.0.0.1:11434/v1"}


def test_environment_wins_over_file(secrets_file):
    creds = load_credentials(secrets_file, environ={
        "OPENAI_API_KEY": "sk-env", "AWS_REGION": "us-west-2", "AWS_BEARER_TOKEN_BEDROCK": "bedrock-env",
        "OPENAI_API_VERSION": "2025-01-01", "GOOGLE_API_KEY": "google-env", "XAI_API_KEY": "xai-env"})
    assert creds.settings("openai")["api_key"] == "sk-env"
    assert creds.settings("openai")["base_url"] == "http://127.0.0.1:9/v1"   # file value kept
    assert creds.settings("bedrock")["region"] == "us-west-2"
    assert creds.settings("bedrock")["bearer_token"] == "bedrock-env"
    assert creds.settings("azure")["api_version"] == "2025-01-01"
    assert creds.settings("google")["api_key"] == "google-env"
    assert creds.settings("xai")["api_key"] == "xai-env"


def test_gemini_key_wins_over_google_key(tmp_path):
    creds = load_credentials(tmp_path / "x.yaml", environ={"GEMINI_API_KEY": "g1", "GOOGLE_API_KEY": "g2"})
    assert creds.settings("google")["api_key"] == "g1"


@pytest.mark.parametrize("host,url", [("0.0.0.0:11434", "http://0.0.0.0:11434/v1"),
                                      ("http://gpu-box:11434/", "http://gpu-box:11434/v1"),
                                      ("https://ollama.internal/v1", "https://ollama.internal/v1")])
def test_ollama_host_becomes_base_url(tmp_path, host, url):
    creds = load_credentials(tmp_path / "x.yaml", environ={"OLLAMA_HOST": host})
    assert creds.settings("ollama")["base_url"] == url


@pytest.mark.parametrize("text,problem", [
    ("openai: [1, 2", "not valid YAML at line"),
    ("- just a list", "top level must be a mapping"),
    ("opneai: {api_key: x}", "unknown section 'opneai'"),
    ("openai: sk-plain-string", "section 'openai' must be a mapping"),
    ("openai: {apikey: x}", "unknown key openai.apikey"),
    ("openai: {api_key: 12345}", "openai.api_key must be a string"),
    ("azure: {deployments: [a]}", "azure.deployments must be a mapping"),
])
def test_malformed_file_is_a_clear_error(tmp_path, text, problem):
    path = tmp_path / "secrets.yaml"
    path.write_text(text)
    with pytest.raises(SecretsError, match=problem) as info:
        load_credentials(path, environ={})
    assert str(path) in str(info.value)


def test_error_never_echoes_a_secret_value(tmp_path):
    path = tmp_path / "secrets.yaml"
    path.write_text("openai: {api_key: [sk-very-secret]}")
    with pytest.raises(SecretsError) as info:
        load_credentials(path, environ={})
    assert "sk-very-secret" not in str(info.value)


def test_unreadable_file_is_a_clear_error(tmp_path):
    path = tmp_path / "secrets.yaml"
    path.mkdir()  # a directory cannot be read as a file, even by root
    with pytest.raises(SecretsError, match="cannot read"):
        load_credentials(path, environ={})


def test_repr_hides_values(secrets_file):
    assert "sk-file" not in repr(load_credentials(secrets_file, environ={}))


def test_empty_file_means_no_keys(tmp_path):
    path = tmp_path / "secrets.yaml"
    path.write_text("")
    assert load_credentials(path, environ={}).settings("openai") == {}


def test_the_example_file_copied_verbatim_configures_nothing():
    # Placeholders ("sk-...") are places for keys, not keys; Ollama's section is commented out.
    credentials = load_credentials(REPO / "secrets.yaml.example", environ={})
    assert credentials.configured == frozenset()
    assert credentials.reasons == {
        "openai": "placeholder key", "anthropic": "placeholder key", "google": "placeholder key",
        "bedrock": "placeholder key", "azure": "placeholder key", "mistral": "placeholder key",
        "groq": "placeholder key", "deepseek": "placeholder key", "xai": "placeholder key",
        "together": "placeholder key", "openrouter": "placeholder key", "ollama": "no address"}


@pytest.mark.parametrize("section,environ,reason", [
    ("", {}, "no key"),
    ("openai: {api_key: sk-...}", {}, "placeholder key"),
    ("openai: {api_key: '  sk-proj-...  '}", {}, "placeholder key"),
    ("openai: {api_key: sk-...}", {"OPENAI_API_KEY": "sk-real-key-0123"}, None),   # the environment wins
    ("openai: {api_key: sk-real...key}", {}, None),   # dots inside a key are its own business
    ("azure: {api_key: azure-key-0123}", {}, "incomplete key"),   # no endpoint
    ("aws: {access_key_id: AKIAREALKEY0123}", {}, "incomplete key"),
    ("aws: {access_key_id: AKIAREALKEY0123, secret_access_key: ...}", {}, "placeholder key"),
    ("ollama: {base_url: 'http://127.0.0.1:11434/v1'}", {}, None),
])
def test_each_unconfigured_vendor_says_why(tmp_path, section, environ, reason):
    path = tmp_path / "secrets.yaml"
    path.write_text(section + "\n")
    vendor = section.split(":")[0] or "openai"
    key = {"aws": "bedrock"}.get(vendor, vendor)
    credentials = load_credentials(path, environ=environ)
    assert credentials.reasons[key] == reason
    assert (key in credentials.configured) is (reason is None)
