"""AWS Bedrock Runtime Converse API, signed with SigV4 (or a Bedrock API key as Bearer)."""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from .base import Adapter, Completion, HttpCall, PromptRequest, Usage, without_nones
from .messages import merged_turns, system_texts
from .bedrock_stream import BedrockConverseStream
from .errors import ProviderResponseError
from .shapes import as_json, dig, first_text, plain_text, tokens, tool_finish, usage_or_none

DEFAULT_REGION = "us-east-1"
SIGNING_NAME = "bedrock"  # the service model's signingName (endpointPrefix is bedrock-runtime)


class BedrockConverseAdapter(Adapter):
    """POST {endpoint_url}/model/{modelId}/converse."""

    credentials = (("bearer_token",), ("access_key_id", "secret_access_key"))
    supports = frozenset({"temperature", "top_p", "stop"})   # Converse's inferenceConfig has no seed

    @property
    def region(self) -> str:
        """Return the configured AWS region."""
        return str(self.setting("region", DEFAULT_REGION))

    def build(self, request: PromptRequest) -> HttpCall:
        """Return the Converse call, signed over exactly these URL and body bytes."""
        url = self.url(request, "converse")
        body = self.encode(self.body(request))
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        return HttpCall("POST", url, self.authorize(url, headers, body), body)

    stream_media_type = BedrockConverseStream.media_type

    def build_stream(self, request: PromptRequest) -> HttpCall:
        """Return the ConverseStream call (same input as Converse), signed over its own URL."""
        url = self.url(request, "converse-stream")
        body = self.encode(self.body(request))
        headers = self.stream_headers({"Content-Type": "application/json"})
        return HttpCall("POST", url, self.authorize(url, headers, body), body)

    def url(self, request: PromptRequest, operation: str) -> str:
        """Return the model's URL for an operation (converse, converse-stream)."""
        endpoint = str(self.setting("endpoint_url", self.vendor.base_url.format(region=self.region)))
        return f"{endpoint.rstrip('/')}/model/{quote(request.model, safe='')}/{operation}"

    def stream_decoder(self, max_event_bytes: int) -> BedrockConverseStream:
        """Return an event-stream decoder (botocore's parser under it)."""
        return BedrockConverseStream(self.vendor.key, max_event_bytes, self._usage)

    def body(self, request: PromptRequest) -> dict[str, Any]:
        """Return the Converse input (modelId travels in the URL, not the body); from app.agents for a
        /v1 request (toolConfig, toolUse/toolResult blocks, images, outputConfig, thinking)."""
        inference = without_nones({
            "maxTokens": request.max_tokens, "temperature": request.temperature, "topP": request.top_p,
            "stopSequences": list(request.stop) if request.stop else None})
        if request.agent is not None:
            return {**self.agent_fields(request), "inferenceConfig": inference}
        conversation = request.conversation()
        body: dict[str, Any] = {"messages": [{"role": turn.role, "content": [{"text": text} for text in turn.texts]}
                                             for turn in merged_turns(conversation)]}
        system = system_texts(conversation)
        if system:
            body["system"] = [{"text": text} for text in system]
        body["inferenceConfig"] = inference
        return body

    def authorize(self, url: str, headers: dict[str, str], body: bytes) -> dict[str, str]:
        """Add a Bearer API key when configured, else SigV4 headers for the access key pair."""
        token = self.setting("bearer_token")
        if token:
            return {**headers, "Authorization": f"Bearer {token}"}
        creds = Credentials(self.setting("access_key_id", ""), self.setting("secret_access_key", ""),
                            self.setting("session_token"))
        # Sign the payload hash explicitly so the server can check the body we send.
        headers = {**headers, "X-Amz-Content-SHA256": hashlib.sha256(body).hexdigest()}
        signed = AWSRequest(method="POST", url=url, data=body, headers=headers)
        SigV4Auth(creds, SIGNING_NAME, self.region).add_auth(signed)
        return dict(signed.headers.items())

    def parse(self, payload: Any) -> Completion:
        """Join the output text blocks; input counts cache reads and writes, which AWS reports apart."""
        name = self.vendor.key
        blocks = dig(payload, "output", "message", "content", vendor=name)
        if not isinstance(blocks, list):
            raise ProviderResponseError("unexpected response shape: content is not a list", vendor=name)
        text = "".join(b["text"] for b in blocks if isinstance(b, dict) and isinstance(b.get("text"), str))
        calls = self.answer_tool_calls(payload)
        return Completion(text=text, finish_reason=tool_finish(calls, payload.get("stopReason")),
                          usage=usage_or_none(self._usage, payload.get("usage")), tool_calls=calls)

    @staticmethod
    def _usage(usage: Any) -> Usage:
        cache_read = tokens(usage, "cacheReadInputTokens", required=False)
        cache_write = tokens(usage, "cacheWriteInputTokens", required=False)
        return Usage(input_tokens=tokens(usage, "inputTokens") + cache_read + cache_write,
                     output_tokens=tokens(usage, "outputTokens"), cached_tokens=cache_read)

    def error_message(self, status: int, headers: Mapping[str, str], body_text: str) -> str:
        """Return "ErrorType: message" from the x-amzn-ErrorType header and the JSON body."""
        data = as_json(body_text)
        if not isinstance(data, dict):
            return plain_text(body_text, status)
        message = first_text(data, ("message",), ("Message",)) or plain_text(body_text, status)
        # The header looks like "ThrottlingException:http://internal.amazon.com/coral/...".
        kind = (headers.get("x-amzn-ErrorType") or str(data.get("__type", ""))).split(":")[0]
        kind = kind.rsplit("#", 1)[-1]
        return f"{kind}: {message}" if kind else message
