"""A gateway app whose vendors are mocked with `responses` (the secrets of the send_prompt tests)."""
import pytest
import responses

from tests.routing.test_send_prompt_api import SECRETS

CHAT = "/v1/chat/completions"
HI = [{"role": "user", "content": "Say hello"}]
OPENAI_URL = "https://openai.test/v1/chat/completions"
AZURE_URL = "https://res.openai.azure.test/openai/deployments/{}/chat/completions?api-version=2024-10-21"
ANTHROPIC_URL = "https://anthropic.test/v1/messages"


@pytest.fixture
def gateway_app(make_app, tmp_path):
    def build(**config):
        secrets = tmp_path / "secrets.yaml"
        secrets.write_text(SECRETS)
        config.setdefault("PROVIDER_TIMEOUT", 2.0)
        config.setdefault("PROVIDER_MAX_RETRIES", 0)
        return make_app(SECRETS_FILE=str(secrets), **config)
    return build


@pytest.fixture
def client(gateway_app):
    return gateway_app().test_client()


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps
