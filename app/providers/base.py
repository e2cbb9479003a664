"""The adapter interface every vendor dialect implements, and the values it trades in."""
from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.agents import registry
from app.redaction import secrets_of
from app.vendors import Vendor

from .messages import SYSTEM, USER, Message
from .shapes import as_json, first_text, plain_text, tool_call

if TYPE_CHECKING:
    from app.catalog.model import Model as CatalogModel

    from .stream_events import StreamDecoder


# The optional generation parameters a dialect may not honour (Adapter.supports).
OPTIONAL_PARAMETERS = ("temperature", "top_p", "stop", "seed", "presence_penalty", "frequency_penalty",
                      "logit_bias", "logprobs", "n")


@dataclass(frozen=True)
class PromptRequest:
    """A prompt (or a whole conversation) and its generation parameters; ``model`` is what the vendor API is sent.

    ``messages``, when given, is the conversation and ``prompt``/``system`` are ignored;
    otherwise the conversation is the system prompt (if any) and the prompt as one user turn.

    ``agent``, when given, is the OpenAI chat body a /v1 request carried (``messages`` in OpenAI's
    format, with tool calls, tool results and images, and ``tools``, ``tool_choice``,
    ``parallel_tool_calls``, ``response_format``, ``reasoning_effort``). Each adapter then builds
    its messages and those features from it through ``app.agents`` (which raises AgentParamError,
    a 400 naming the parameter, for what the dialect cannot honour); ``messages`` still holds the
    conversation's texts, which is what the estimate counts with the tokenizer.
    """

    prompt: str
    system: str | None = None
    max_tokens: int = 1024
    temperature: float | None = None
    model: str = ""            # the API model id / deployment; set per target by the router
    messages: tuple[Message, ...] = ()
    top_p: float | None = None
    stop: tuple[str, ...] | None = None
    seed: int | None = None
    agent: Mapping[str, Any] | None = field(default=None, compare=False)
    service_tier: str | None = None   # OpenAI's processing tier, sent where the vendor's API has one
    # OpenAI's other sampling parameters (None: at its default, not sent); n: the choices wanted.
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    logit_bias: Mapping[str, float] | None = field(default=None, compare=False)
    logprobs: bool | None = None          # True, or None (not asked)
    top_logprobs: int | None = None       # with logprobs: the alternatives per token
    n: int = 1
    # Parameters dropped where the vendor has none instead of refused (/v1's seed: best effort by
    # OpenAI's own definition).
    best_effort: frozenset[str] = frozenset()
    streamed: bool = field(default=False, compare=False)   # asked for as a stream (n > 1 needs streams_choices)

    def conversation(self) -> tuple[Message, ...]:
        """The messages to send, in order."""
        if self.messages:
            return self.messages
        user = Message.text(USER, self.prompt)
        return (Message.text(SYSTEM, self.system), user) if self.system else (user,)

    def texts(self) -> list[str]:
        """Every text the prompt holds, for counting its tokens."""
        return [text for message in self.conversation() for text in message.texts]

    def parameters_set(self) -> list[str]:
        """The optional generation parameters this request sets (n only above 1)."""
        named = [name for name in OPTIONAL_PARAMETERS
                 if (self.n != 1 if name == "n" else getattr(self, name) is not None)]
        # auto and default ask for no particular tier: every vendor serves them.
        return [*named, "service_tier"] if self.service_tier not in (None, "auto", "default") else named


@dataclass(frozen=True)
class Usage:
    input_tokens: int          # every prompt token, cached or not
    output_tokens: int         # every generated token, reasoning included
    cached_tokens: int = 0     # the part of input_tokens read from a cache
    reasoning_tokens: int = 0  # the part of output_tokens spent thinking


@dataclass(frozen=True)
class Completion:
    text: str
    finish_reason: str | None
    usage: Usage | None        # None: the vendor reported none we can trust (missing, negative, not integers)
    attempts: int = 1          # HTTP attempts the transport made (retries + 1)
    tool_calls: tuple = ()     # OpenAI tool_calls dicts (id, type, function{name, arguments}) the model made
    service_tier: str | None = None   # the processing tier the vendor says served the call (OpenAI)
    logprobs: Any = None       # the answer's log probabilities in OpenAI's choice.logprobs shape, when asked
    more: tuple[Choice, ...] = ()   # choices 1..n-1 when the request asked for n > 1 (usage counts them all)


@dataclass(frozen=True)
class Choice:
    """One more choice of an answer asked for with n > 1."""

    text: str
    finish_reason: str | None
    tool_calls: tuple = ()
    logprobs: Any = None


@dataclass(frozen=True)
class HttpCall:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes


class Adapter(ABC):
    """Translate between a PromptRequest/Completion and one vendor dialect's HTTP."""

    # JSON paths where this dialect's error bodies keep their message and its type, best first.
    error_paths: tuple[tuple[str, ...], ...] = (("error", "message"), ("message",), ("detail",), ("error",))
    error_type_paths: tuple[tuple[str, ...], ...] = (("error", "type"),)
    # Alternative sets of settings that make this dialect usable; any one complete set will do.
    credentials: tuple[tuple[str, ...], ...] = (("api_key",),)

    def __init__(self, vendor: Vendor, settings: Mapping[str, Any]):
        self.vendor = vendor
        self.settings = dict(settings)
        self.secrets = secrets_of(self.settings)

    # The optional generation parameters this dialect can send (OPTIONAL_PARAMETERS).
    supports: frozenset[str] = frozenset(OPTIONAL_PARAMETERS)

    # Whether this dialect's stream decoder relays several choices (n > 1 with stream).
    streams_choices: bool = False

    def unsupported(self, request: PromptRequest) -> str | None:
        """The first parameter the request sets that this vendor cannot honour, else None."""
        found = next((name for name in request.parameters_set()
                      if name not in self.supports and name not in request.best_effort), None)
        if found is None and request.streamed and request.n != 1 and not self.streams_choices:
            return "n"
        return found

    def api_model(self, model: CatalogModel) -> str:
        """Return what this vendor's API is sent as the model for a catalog row."""
        return model.api_model

    def setting(self, name: str, default: Any = None) -> Any:
        """Return a setting, treating empty values as absent."""
        value = self.settings.get(name)
        return default if value in (None, "") else value

    @abstractmethod
    def build(self, request: PromptRequest) -> HttpCall:
        """Return the exact HTTP call to make (pure: no I/O, same input, same bytes)."""

    @abstractmethod
    def parse(self, payload: Any) -> Completion:
        """Read a JSON-decoded success body; raise ProviderResponseError on a wrong shape."""

    def error_message(self, status: int, headers: Mapping[str, str], body_text: str) -> str:
        """Return the vendor's own explanation of an HTTP error."""
        data = as_json(body_text)
        if not isinstance(data, dict):
            return plain_text(body_text, status)
        message = first_text(data, *self.error_paths) or plain_text(body_text, status)
        kind = first_text(data, *self.error_type_paths)
        return f"{kind}: {message}" if kind and kind != message else message

    # Streaming (see streaming.py): the same call as build() plus the dialect's stream flags.
    def build_stream(self, request: PromptRequest) -> HttpCall:
        """Return the streaming call: build()'s body with stream_fields(), sent to stream_url()."""
        call = self.build(request)
        body = {**json.loads(call.body), **self.stream_fields()}
        return HttpCall(call.method, self.stream_url(call.url), self.stream_headers(call.headers),
                        self.encode(body))

    def stream_fields(self) -> dict[str, Any]:
        """Return the body fields that ask for a stream."""
        return {"stream": True}

    def stream_url(self, url: str) -> str:
        """Return the streaming endpoint for build()'s URL."""
        return url

    def stream_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """Accept the stream's media type, uncompressed (a compressed stream arrives in lumps)."""
        kept = {k: v for k, v in headers.items() if k.lower() not in ("accept", "accept-encoding")}
        return {**kept, "Accept": self.stream_media_type, "Accept-Encoding": "identity"}

    stream_media_type = "text/event-stream"

    def stream_decoder(self, max_event_bytes: int) -> StreamDecoder:
        """Return a decoder for one streamed answer in this dialect."""
        raise NotImplementedError(f"{type(self).__name__} does not stream")

    def agent_fields(self, request: PromptRequest) -> dict[str, Any]:
        """Return the vendor body fields of a /v1 request's agent features (``request.agent``), checked."""
        return registry.request_fields(self.vendor.api, request.agent or {}, max_tokens=request.max_tokens,
                                       model=request.model, vendor=self.vendor.key)

    def answer_tool_calls(self, payload: Any) -> tuple:
        """Return the tool calls of a success body, in OpenAI's format (none for a body without any)."""
        return tuple(tool_call(call, vendor=self.vendor.key, whole=True)
                     for call in registry.DIALECTS[self.vendor.api].tool_calls(payload))

    @staticmethod
    def encode(body: Mapping[str, Any]) -> bytes:
        """Serialise a request body compactly as UTF-8 JSON."""
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def without_nones(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """Drop None values: vendors reject explicit nulls for optional fields."""
    return {k: v for k, v in mapping.items() if v is not None}
