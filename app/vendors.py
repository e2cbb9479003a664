"""The vendors Price Runner knows: names, secrets sections, env variables, API dialects.

Per-vendor differences live here as data, so that no view or service needs an
``if vendor == ...`` chain. The catalog's ``provider`` column holds a ``Vendor.key``.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Vendor:
    key: str                      # catalog key and id prefix: "openai", "bedrock"
    name: str                     # display name: "OpenAI", "AWS Bedrock"
    section: str                  # secrets.yaml section: "openai", "aws"
    api: str                      # adapter dialect: openai_chat | anthropic | gemini | bedrock | azure
    base_url: str                 # default address (Bedrock: a template with {region})
    env: dict[str, tuple[str, ...]] = field(default_factory=dict)  # secret field -> env vars, first wins
    max_tokens_field: str = "max_completion_tokens"  # OpenAI-compatible dialects differ here
    seed_field: str | None = "seed"  # None: the vendor takes no seed (a request with one is a 400)
    needs_key: bool = True        # Ollama runs locally without a key
    stream_usage_option: bool = True   # takes stream_options.include_usage (else usage comes unasked)
    self_hosted: bool = False     # runs on the caller's hardware: no API price (ranked only on request)
    # API names of an asynchronous batch API (OpenRouter's ":batch"): priced for estimates, never called.
    estimate_only_suffixes: tuple[str, ...] = ()
    service_tier: bool = False    # the chat API takes OpenAI's service_tier and reports the tier it used
    # OpenAI-compatible dialect only: which of OpenAI's other sampling parameters the vendor's own
    # API reference documents (the rest are a 400 naming them, or skipped by auto).
    takes: frozenset[str] = frozenset()
    aliases: tuple[str, ...] = ()

    def matches(self, name: str) -> bool:
        """Tell whether a user-supplied provider name means this vendor."""
        wanted = name.strip().lower()
        return wanted in {self.key, self.name.lower(), self.section, *self.aliases}


def _compatible(key: str, name: str, base_url: str, env_prefix: str, **extra) -> Vendor:
    return Vendor(key=key, name=name, section=key, api="openai_chat", base_url=base_url,
                  env={"api_key": (f"{env_prefix}_API_KEY",)}, **extra)


PENALTIES = frozenset({"presence_penalty", "frequency_penalty"})
# OpenAI's CreateChatCompletionRequest (shared/specs/openai; Azure's is the same body).
OPENAI_TAKES = PENALTIES | {"logit_bias", "logprobs", "n"}

VENDORS: dict[str, Vendor] = {v.key: v for v in (
    Vendor("openai", "OpenAI", "openai", "openai_chat", "https://api.openai.com/v1",
           env={"api_key": ("OPENAI_API_KEY",), "base_url": ("OPENAI_BASE_URL",)}, service_tier=True,
           takes=OPENAI_TAKES),
    Vendor("anthropic", "Anthropic", "anthropic", "anthropic", "https://api.anthropic.com",
           env={"api_key": ("ANTHROPIC_API_KEY",), "base_url": ("ANTHROPIC_BASE_URL",)}),
    Vendor("google", "Google", "google", "gemini", "https://generativelanguage.googleapis.com",
           env={"api_key": ("GEMINI_API_KEY", "GOOGLE_API_KEY")}, aliases=("gemini", "google gemini")),
    Vendor("bedrock", "AWS Bedrock", "aws", "bedrock", "https://bedrock-runtime.{region}.amazonaws.com",
           env={"access_key_id": ("AWS_ACCESS_KEY_ID",), "secret_access_key": ("AWS_SECRET_ACCESS_KEY",),
                "session_token": ("AWS_SESSION_TOKEN",), "region": ("AWS_REGION", "AWS_DEFAULT_REGION"),
                "bearer_token": ("AWS_BEARER_TOKEN_BEDROCK",)},
           aliases=("amazon bedrock",)),
    Vendor("azure", "Azure OpenAI", "azure", "azure", "",
           env={"api_key": ("AZURE_OPENAI_API_KEY",), "endpoint": ("AZURE_OPENAI_ENDPOINT",),
                "api_version": ("OPENAI_API_VERSION",)}, takes=OPENAI_TAKES),
    _compatible("mistral", "Mistral", "https://api.mistral.ai/v1", "MISTRAL",
                max_tokens_field="max_tokens", seed_field="random_seed", stream_usage_option=False,
                takes=PENALTIES | {"n"}),   # shared/specs/mistral ChatCompletionRequest: no logprobs, no logit_bias
    # console.groq.com/docs/openai: logprobs, logit_bias unsupported, n must be 1; penalties not yet honoured.
    _compatible("groq", "Groq", "https://api.groq.com/openai/v1", "GROQ"),
    # api-docs.deepseek.com/api/create-chat-completion: penalties and logprobs, no seed, no n.
    _compatible("deepseek", "DeepSeek", "https://api.deepseek.com", "DEEPSEEK", seed_field=None,
                takes=PENALTIES | {"logprobs"}),
    # docs.x.ai chat completions: n; penalties and logprobs depend on the model (reasoning models refuse them).
    _compatible("xai", "xAI", "https://api.x.ai/v1", "XAI", aliases=("x-ai", "grok"), takes=frozenset({"n"})),
    # shared/specs/together: logprobs is a top-k integer there, not OpenAI's flag, so it is not mapped.
    _compatible("together", "Together", "https://api.together.xyz/v1", "TOGETHER",
                max_tokens_field="max_tokens", aliases=("together ai", "togetherai"), stream_usage_option=False,
                takes=PENALTIES | {"logit_bias", "n"}),
    # shared/specs/openrouter ChatRequest: no n.
    _compatible("openrouter", "OpenRouter", "https://openrouter.ai/api/v1", "OPENROUTER",
                estimate_only_suffixes=(":batch",), takes=PENALTIES | {"logit_bias", "logprobs"}),
    # docs.ollama.com/api/openai-compatibility: penalties and seed; no n, no logprobs.
    Vendor("ollama", "Ollama", "ollama", "openai_chat", "http://localhost:11434/v1",
           env={"base_url": ("OLLAMA_HOST",)}, max_tokens_field="max_tokens", needs_key=False,
           self_hosted=True, takes=PENALTIES),
)}


def find_vendor(name: str) -> Vendor | None:
    """Return the vendor a user-supplied name (key, display name or alias) means, if any."""
    return next((v for v in VENDORS.values() if v.matches(name)), None)
