"""OpenAI chat-completions agent features (tools, structured output, reasoning, images) in each dialect.

Pure functions over plain dicts in OpenAI's wire format; no Flask, no I/O. One module per concern
(``messages``, ``images``, ``reasoning``, ``capabilities``) and one per vendor dialect
(``anthropic``, ``gemini``, ``bedrock``, ``openai``). Anything a dialect cannot honour raises
``AgentParamError`` naming the request parameter, which the gateway answers as a 400.
"""
from .errors import AgentParamError

__all__ = ["AgentParamError"]
