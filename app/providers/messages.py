"""A conversation as every dialect receives it: messages of typed content parts.

Only text parts exist today; image parts, tool calls and tool results (issue #16) are new
``Part`` kinds and new ``Message`` fields, so each adapter's translation grows without a new shape.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SYSTEM, USER, ASSISTANT = "system", "user", "assistant"
ROLES = (SYSTEM, USER, ASSISTANT)


@dataclass(frozen=True, slots=True)
class TextPart:
    text: str
    type: str = "text"


@dataclass(frozen=True, slots=True)
class Message:
    """One turn: a role (system, user or assistant) and its content parts, in order."""

    role: str
    parts: tuple[TextPart, ...]

    @classmethod
    def text(cls, role: str, text: str) -> Message:
        """A message of one text part."""
        return cls(role, (TextPart(text),))

    @property
    def texts(self) -> list[str]:
        """The text of each text part."""
        return [part.text for part in self.parts if part.type == "text"]


def system_texts(messages: Iterable[Message]) -> list[str]:
    """Every system part's text, in order (dialects with a separate system field take these)."""
    return [text for message in messages if message.role == SYSTEM for text in message.texts]


def merged_turns(messages: Iterable[Message]) -> list[Message]:
    """The user and assistant messages, consecutive ones of the same role merged into one.

    Anthropic, Gemini and Bedrock want turns that alternate; merging keeps every part in order.
    """
    turns: list[Message] = []
    for message in messages:
        if message.role == SYSTEM:
            continue
        if turns and turns[-1].role == message.role:
            turns[-1] = Message(message.role, turns[-1].parts + message.parts)
        else:
            turns.append(message)
    return turns


def single_text(parts: Sequence[TextPart]) -> str | None:
    """The text of content that is exactly one text part (sent as a plain string), else None."""
    return parts[0].text if len(parts) == 1 and parts[0].type == "text" else None
