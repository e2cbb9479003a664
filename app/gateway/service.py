"""The /v1 gateway as a service: a chat request in, the attempts and OpenAI's reply out.

It serves through the same PromptRouter as send_prompt (one model per call), so budgets, the
ledger, Idempotency-Key answers and call metrics are the same. No Flask here.
"""
from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.agents import registry
from app.agents.images import image_cost, image_rule, images_of
from app.catalog import Model
from app.gateway import listing, replies
from app.gateway.candidates import (AUTO, Candidate, CandidateError, Chooser, Constraints, QualityLookup,
                                   expected_output_tokens, published_score)
from app.gateway.fallback import Attempt, attempt
from app.gateway.streaming import Opened, open_stream
from app.providers.base import PromptRequest
from app.providers.messages import SYSTEM, USER, Message, TextPart
from app.routing.capacity import StreamSlots
from app.routing.service import PromptRouter

# The most output tokens when the client sets none: the model's own maximum (the router caps
# every request at the model's max_output_tokens).
UNCAPPED = 1 << 30


@dataclass(frozen=True)
class Served:
    """What a request came to: every attempt, and the reply when the last one succeeded."""

    attempts: list[Attempt]
    reply: dict[str, Any] | None


# The body fields app.agents translates per dialect (with messages, temperature and top_p, which
# reasoning reads); a request that uses none of them, nor images or tool turns, is a plain chat.
AGENT_FIELDS = ("tools", "tool_choice", "parallel_tool_calls", "response_format", "reasoning_effort")
AGENT_BODY = ("messages", "temperature", "top_p", *AGENT_FIELDS)


def prompt_request(body: Mapping[str, Any]) -> PromptRequest:
    """The validated body as the router's PromptRequest (developer messages are system messages).

    ``messages`` holds each turn's texts (tool results as user text, tool calls as their name and
    arguments), which is what the estimate counts; a request using agent features also carries its
    OpenAI body as ``agent``, from which each adapter builds the vendor's messages and features.
    """
    messages = tuple(_message(m) for m in body["messages"])
    max_tokens = body["max_completion_tokens"] or body["max_tokens"]
    agent = {k: body[k] for k in AGENT_BODY if body.get(k) is not None} if uses_agents(body) else None
    return PromptRequest("", max_tokens=max_tokens or UNCAPPED, temperature=body["temperature"],
                         messages=messages, top_p=body["top_p"], seed=body["seed"],
                         stop=tuple(body["stop"]) if body["stop"] else None, agent=agent,
                         service_tier=body.get("service_tier"), **sampling(body))


def sampling(body: Mapping[str, Any]) -> dict[str, Any]:
    """OpenAI's other sampling parameters, each None (not sent) at its default: 0 penalties, no bias,
    logprobs false, n 1. seed is best effort, as OpenAI defines it: dropped where the vendor has none."""
    logprobs = bool(body.get("logprobs"))
    return {"presence_penalty": body.get("presence_penalty") or None,
            "frequency_penalty": body.get("frequency_penalty") or None,
            "logit_bias": body.get("logit_bias") or None, "logprobs": logprobs or None,
            "top_logprobs": body.get("top_logprobs") if logprobs else None, "n": body.get("n") or 1,
            "best_effort": frozenset({"seed"}), "streamed": bool(body.get("stream"))}


def uses_agents(body: Mapping[str, Any]) -> bool:
    """Tell whether a request needs app.agents: tools, structured output, reasoning, images or tool turns."""
    return any(body.get(k) is not None for k in AGENT_FIELDS) or any(
        m["role"] == "tool" or m.get("tool_calls") or
        (isinstance(m.get("content"), list) and any(p["type"] == "image_url" for p in m["content"]))
        for m in body["messages"])


def _message(message: Mapping[str, Any]) -> Message:
    role = {"developer": SYSTEM, "tool": USER}.get(message["role"], message["role"])
    content = message.get("content")
    texts = [content] if isinstance(content, str) else [p["text"] for p in content or () if p["type"] == "text"]
    texts += [f"{c['function']['name']}({c['function']['arguments']})" for c in message.get("tool_calls") or ()]
    return Message(role, tuple(TextPart(text) for text in texts))


def check_agent(prompt: PromptRequest) -> None:
    """Read the request's agent features as OpenAI defines them; AgentParamError (a 400) names what is malformed.

    Each candidate's dialect then says what it cannot honour (Gateway.candidates).
    """
    if prompt.agent is not None:
        registry.request_fields("openai_chat", prompt.agent, max_tokens=prompt.max_tokens, model="", vendor="openai")


def image_tokens(prompt: PromptRequest, models: Iterable[Model]) -> dict[str, int] | None:
    """The input tokens the request's images add on each model, by its vendor's documented rule (None: no images)."""
    images = images_of(dict(prompt.agent)) if prompt.agent is not None else []
    if not images:
        return None
    by_rule: dict[str | None, int] = {}
    extra = {}
    for model in models:
        rule = image_rule(model.provider, model.api_model)
        if rule not in by_rule:
            by_rule[rule] = image_cost(images, rule).tokens
        extra[model.id] = by_rule[rule]
    return extra


EVAL_PREFIX = "eval:"   # min_quality's benchmark naming one of the caller's evals


class Gateway:
    """Choose the candidates for a request and serve it from the first that answers."""

    def __init__(self, router: PromptRouter, tokens: Any, catalog: Any, configured: frozenset[str],
                 deadline_s: float, max_attempts: int, quality: QualityLookup = published_score,
                 eval_scores: Callable[[str, str], Mapping[str, float] | None] = lambda caller, name: None):
        self._router, self._tokens, self._catalog = router, tokens, catalog
        self.configured, self._deadline_s, self._quality = configured, deadline_s, quality
        self._eval_scores = eval_scores   # (principal, eval name) -> score per model id, None if never run
        self._max_attempts = max_attempts   # SEND_PROMPT_MAX_MODELS: the most vendor calls one request makes

    def models(self) -> dict[str, Any]:
        """The model list: auto and every catalog model of a configured provider (not the estimate-only ones)."""
        return listing.model_list(self._listed())

    def model(self, name: str) -> dict[str, Any] | None:
        """The list entry for any name chat accepts (auto, a catalog id, a model name), None for others.

        A name several providers serve answers with the model chat would pick for it (for an empty
        prompt), its ``id`` the name asked for.
        """
        if name == AUTO:
            return listing.auto_entry(self._listed())
        body = {"model": name, "models": None, "max_completion_tokens": None, "max_tokens": None}
        try:
            chosen = self.candidates(body, PromptRequest("", messages=(Message.text(USER, ""),)), Constraints())
        except CandidateError:
            return None
        return listing.model_entry(chosen[0].model, listed_as=name)

    def _listed(self) -> list[Model]:
        return [m for m in self._catalog.current.repository.all()
                if m.provider in self.configured and not m.estimate_only]

    def candidates(self, body: Mapping[str, Any], prompt: PromptRequest, constraints: Constraints,
                   caller: str = "anonymous") -> list[Candidate]:
        """The candidates in the order to try them (CandidateError when there is none)."""
        snapshot = self._catalog.current   # one snapshot: the same prices rank and serve
        table = snapshot.derived["pricing"].ranking
        texts = prompt.texts()
        max_tokens = body["max_completion_tokens"] or body["max_tokens"]
        chooser = Chooser(snapshot.repository, table, lambda tokenizers: self._tokens.count_texts(texts, tokenizers),
                          self.configured, expected_output_tokens(max_tokens),
                          lambda model: self._router.unsupported(model, prompt),
                          self._quality_for(constraints, caller),
                          lambda model, auto: self._router.refusal(model, prompt, auto=auto),
                          image_tokens(prompt, snapshot.repository.all()), self._router.outlook())
        return chooser.choose(body["model"], body["models"], constraints)[:self._max_attempts]

    def _quality_for(self, constraints: Constraints, caller: str) -> QualityLookup:
        """Published scores, or the caller's own eval scores when min_quality names eval:<name>."""
        benchmark = constraints.min_quality[0] if constraints.min_quality else ""
        if not benchmark.startswith(EVAL_PREFIX):
            return self._quality
        scores = self._eval_scores(caller, benchmark[len(EVAL_PREFIX):])
        if scores is None:
            raise CandidateError(400, "price_runner.min_quality.benchmark",
                                 f"You have run no eval named {benchmark[len(EVAL_PREFIX):]!r} (POST /api/evals).",
                                 "unknown_benchmark")
        return lambda model, name: scores.get(model.id) if name == benchmark else None

    def serve(self, candidates: Sequence[Candidate], prompt: PromptRequest, *, caller: str,
              request_id: str | None, claim: Any = None) -> Served:
        """Try the candidates in order within PROVIDER_TIMEOUT; the reply is stored for the claim."""
        started = time.monotonic()
        completion_id, created = f"chatcmpl-{request_id or uuid.uuid4().hex}", int(time.time())
        built: dict[str, dict[str, Any]] = {}

        def call(candidate: Candidate, left: float, earlier: Sequence[Attempt]) -> dict[str, Any]:
            def answer(envelope: dict[str, Any]) -> dict[str, Any] | None:
                item = envelope["data"][0]
                if not item["success"]:
                    return None   # nothing to store yet: a later attempt (or none) answers
                built["reply"] = replies.completion([*earlier, Attempt(candidate, item)], completion_id, created)
                return built["reply"]

            envelope = self._router.run([candidate.model], prompt, left, caller=caller, request_id=request_id,
                                        claim=claim, answer=answer)
            return envelope["data"][0]

        attempts = attempt(candidates, call, started + self._deadline_s)
        return Served(attempts, built.get("reply") if attempts and attempts[-1].ok else None)

    @property
    def slots(self) -> StreamSlots:
        """This worker's stream slots (the router's: send_prompt's and /v1's streams share them)."""
        return self._router.slots

    def stream(self, candidates: Sequence[Candidate], prompt: PromptRequest, *, caller: str,
               request_id: str | None, claim: Any = None) -> Opened:
        """Stream the candidates in order until one sends a first token, within PROVIDER_TIMEOUT."""
        return open_stream(self._router, candidates, prompt, time.monotonic() + self._deadline_s,
                           caller=caller, request_id=request_id, claim=claim)

