"""Every request example in README and docs/ works as written, and its curl line sends the same thing."""
import json
import re
import shlex
from urllib.parse import urlsplit

import pytest

from tests.conftest import REPO

DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
TEXTS = {path.relative_to(REPO).as_posix(): path.read_text(encoding="utf-8") for path in DOCUMENTS}
HEADING = re.compile(r"^(#{2,4}) `(GET|POST) (/\S+)`$", re.MULTILINE)
FENCE = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def endpoint_sections() -> dict[str, tuple[str, str]]:
    """path -> (method, text) for each section of the docs headed by a `METHOD /path`; a section
    ends at the next heading of its level or above."""
    sections = {}
    for text in TEXTS.values():
        for head in HEADING.finditer(text):
            level = len(head[1])
            end = re.compile(rf"^#{{1,{level}}} ", re.MULTILINE).search(text, head.end())
            sections[head[3]] = (head[2], text[head.end():end.start() if end else len(text)])
    return sections


def blocks(text: str, language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(text) if lang == language]


def curl_commands(text: str) -> list[dict]:
    """Each curl command in text's sh blocks: method, path, headers and body."""
    commands = []
    for block in blocks(text, "sh"):
        for words in _commands(block):
            if words[0] != "curl":
                continue
            command = {"path": None, "headers": {}, "body": None}
            options = iter(words[1:])
            for word in options:
                if word == "-H":
                    name, _, value = next(options).partition(":")
                    command["headers"][name.strip()] = value.strip()
                elif word in ("-d", "--data"):
                    command["body"] = next(options)
                elif word.startswith("http"):
                    url = urlsplit(word)
                    assert (url.hostname, url.port) == ("localhost", 3001), word   # what `make run` serves
                    command["path"] = url.path
            command["method"] = "POST" if command["body"] is not None else "GET"
            commands.append(command)
    return commands


def _commands(block: str) -> list[list[str]]:
    """The shell words of each command in a block; a quoted argument may span lines."""
    commands, pending = [], ""
    for line in block.replace("\\\n", " ").splitlines():
        pending += line + "\n"
        try:
            words = shlex.split(pending, comments=True)
        except ValueError:   # an open quote: the command goes on
            continue
        if words:
            commands.append(words)
        pending = ""
    return commands


SECTIONS = endpoint_sections()
POST_EXAMPLES = {path: text for path, (method, text) in SECTIONS.items() if method == "POST"}


def test_the_readme_has_the_examples_this_test_runs():
    assert set(POST_EXAMPLES) == {"/api/get_best_price_for_prompt", "/api/send_prompt", "/api/evals"}
    for text in POST_EXAMPLES.values():
        assert len(blocks(text, "json")) >= 2 and curl_commands(text)


def same_shape(documented, actual, where="body"):
    """Every documented field is there, with the same JSON type wherever both are non-null."""
    if isinstance(documented, dict):
        assert isinstance(actual, dict), where
        missing = set(documented) - set(actual)
        assert not missing, f"{where}: documented but not answered: {sorted(missing)}"
        for key, value in documented.items():
            same_shape(value, actual[key], f"{where}.{key}")
    elif isinstance(documented, list):
        assert isinstance(actual, list) and actual, f"{where}: documented items, answered none"
        for item in documented:
            same_shape(item, actual[0], f"{where}[]")
    elif documented is not None and actual is not None:
        kinds = (bool, (int, float), str)
        assert [isinstance(documented, k) for k in kinds] == [isinstance(actual, k) for k in kinds], where


@pytest.mark.parametrize("path", sorted(POST_EXAMPLES))
def test_each_json_request_example_answers_200_in_the_documented_shape(client, path):
    request_example, response_example = (json.loads(block) for block in blocks(POST_EXAMPLES[path], "json")[:2])
    response = client.post(path, json=request_example)
    assert response.status_code == 200, response.get_data(as_text=True)
    same_shape(response_example, response.get_json())


@pytest.mark.parametrize("path", sorted(POST_EXAMPLES))
def test_each_curl_line_sends_the_json_example_to_its_endpoint(client, path):
    (command,) = [c for c in curl_commands(POST_EXAMPLES[path]) if c["method"] == "POST"]
    assert command["path"] == path
    assert command["headers"] == {"Content-Type": "application/json"}
    assert json.loads(command["body"]) == json.loads(blocks(POST_EXAMPLES[path], "json")[0])


def test_every_get_curl_line_answers_200(client):
    commands = [c for text in TEXTS.values() for c in curl_commands(text) if c["method"] == "GET"]
    assert commands
    for command in commands:
        assert client.get(command["path"]).status_code == 200, command["path"]
