"""Reading the OpenAI side: every malformed shape is a 400 naming where it is."""
from __future__ import annotations

import pytest

from app.agents import AgentParamError
from app.agents.messages import read_messages, read_tool_choice, read_tools, vendor_id
from tests.agents.conversation import TOOLS


def param_of(call) -> str:
    with pytest.raises(AgentParamError) as caught:
        call()
    return caught.value.param


@pytest.mark.parametrize("messages, param", [
    ([], "messages"),
    ([{"role": "robot", "content": "x"}], "messages[0].role"),
    ([{"role": "user", "content": ""}], "messages[0].content"),
    ([{"role": "user", "content": [{"type": "audio"}]}], "messages[0].content[0]"),
    ([{"role": "assistant", "content": [{"type": "image_url", "image_url": {"url": "https://x"}}]}],
     "messages[0].content[0]"),
    ([{"role": "tool", "content": "x"}], "messages[0].tool_call_id"),
    ([{"role": "assistant", "tool_calls": [{"id": "c", "type": "function",
                                            "function": {"name": "f", "arguments": "[1]"}}]}],
     "messages[0].tool_calls[0].function.arguments"),
    ([{"role": "assistant", "tool_calls": [{"id": "c", "type": "function",
                                            "function": {"name": "bad name", "arguments": "{}"}}]}],
     "messages[0].tool_calls[0].function.name"),
    ([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "ftp://x"}}]}],
     "messages[0].content[0].image_url"),
])
def test_bad_messages_name_the_parameter(messages, param):
    assert param_of(lambda: read_messages({"messages": messages})) == param


@pytest.mark.parametrize("tools, param", [
    ([{"type": "web_search"}], "tools[0].type"),
    ([{"type": "function", "function": {"name": "x y"}}], "tools[0].function.name"),
    ([{"type": "function", "function": {"name": "f", "parameters": {"type": "array"}}}], "tools[0].function.parameters"),
    ([TOOLS[0], TOOLS[0]], "tools"),
])
def test_bad_tools_name_the_parameter(tools, param):
    assert param_of(lambda: read_tools({"tools": tools})) == param


def test_tool_choice_defaults_and_checks():
    tools = read_tools({"tools": TOOLS})
    assert read_tool_choice({}, tools).mode == "auto"
    assert read_tool_choice({}, []).mode == "none"
    assert param_of(lambda: read_tool_choice({"tool_choice": "required"}, [])) == "tool_choice"
    assert param_of(lambda: read_tool_choice({"tool_choice": "sometimes"}, tools)) == "tool_choice"


def test_empty_arguments_mean_an_empty_object():
    [message] = read_messages({"messages": [{"role": "assistant", "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": "f", "arguments": ""}}]}]})
    assert message.tool_calls[0].arguments == {}


def test_vendor_ids_keep_safe_ids_and_hash_others_stably():
    assert vendor_id("call_abc-1") == "call_abc-1"
    long = "x" * 65
    assert vendor_id(long) == vendor_id(long) != long and len(vendor_id(long)) <= 64
    assert vendor_id("a/b") != vendor_id("a+b")
