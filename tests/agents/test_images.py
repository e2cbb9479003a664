"""Image parts: bytes read and bounded, dimensions from the header, token cost per vendor rule."""
from __future__ import annotations

import base64

import pytest

from app.agents import AgentParamError, images
from app.agents.images import anthropic_tokens, gemini_tokens, image_cost, image_rule, openai_tokens, parse_image_part
from tests.agents.conversation import data_url, png


def part(url: str, detail: str = "auto") -> dict:
    return {"type": "image_url", "image_url": {"url": url, "detail": detail}}


@pytest.mark.parametrize("kind, media", [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("GIF", "image/gif"),
                                         ("WEBP", "image/webp")])
def test_data_urls_give_type_and_size_from_the_bytes(kind, media):
    # the declared type is ignored: the header decides
    image = parse_image_part(part(data_url(png(321, 123, kind), "image/png")), "m[0]")
    assert (image.media_type, image.width, image.height) == (media, 321, 123)


def test_not_an_image_is_refused():
    with pytest.raises(AgentParamError) as caught:
        parse_image_part(part(data_url(b"%PDF-1.7 not an image")), "messages[0].content[1]")
    assert caught.value.param == "messages[0].content[1].image_url"


def test_bad_base64_is_refused():
    with pytest.raises(AgentParamError, match="base64"):
        parse_image_part(part("data:image/png;base64,@@@"), "p")


def test_oversized_data_is_refused_before_decoding(monkeypatch):
    monkeypatch.setattr(images, "MAX_IMAGE_BYTES", 1000)
    big = "data:image/png;base64," + base64.b64encode(b"\0" * 2000).decode()
    with pytest.raises(AgentParamError, match="larger than 1000 bytes"):
        parse_image_part(part(big), "p")


def test_huge_dimensions_are_refused(monkeypatch):
    monkeypatch.setattr(images, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(AgentParamError, match="11x10 pixels"):
        parse_image_part(part(data_url(png(11, 10))), "p")


def test_remote_urls_are_kept_unfetched():
    image = parse_image_part(part("https://example.test/cat.png", "low"), "p")
    assert image.is_remote and image.url == "https://example.test/cat.png" and image.detail == "low"


# Worked examples from the vendors' pages cited in app/agents/images.py.
@pytest.mark.parametrize("width, height, detail, tokens", [
    (1024, 1024, "high", 765),    # OpenAI: 768x768 -> 4 tiles -> 85 + 680
    (2048, 4096, "high", 1105),   # OpenAI: 1024x2048 -> 768x1536 -> 6 tiles
    (4096, 8192, "low", 85),
])
def test_openai_tile_rule(width, height, detail, tokens):
    assert openai_tokens(width, height, detail) == tokens


@pytest.mark.parametrize("width, height, tokens", [
    (200, 200, 54),       # Anthropic's table: 200x200 ~= 54 tokens
    (1000, 1000, 1334),   # 1000x1000 ~= 1334
    (1092, 1092, 1590),   # 1092x1092 ~= 1590
    (4000, 4000, 1600),   # scaled down to about 1,600 tokens
])
def test_anthropic_area_rule(width, height, tokens):
    assert abs(anthropic_tokens(width, height) - tokens) <= 2


@pytest.mark.parametrize("width, height, tokens", [(384, 384, 258), (385, 100, 258), (1000, 800, 1032),
                                                   (1536, 768, 516)])
def test_gemini_tile_rule(width, height, tokens):
    assert gemini_tokens(width, height) == tokens


def test_cost_of_a_request_counts_remote_images_as_uncounted():
    inline = parse_image_part(part(data_url(png(1000, 1000))), "a")
    remote = parse_image_part(part("https://x.test/a.png"), "b")
    cost = image_cost([inline, remote], "anthropic")
    assert (cost.tokens, cost.images, cost.uncounted) == (anthropic_tokens(1000, 1000), 2, 1)
    assert image_cost([inline], None).uncounted == 1


def test_rules_follow_the_vendor_and_model():
    assert image_rule("azure", "gpt-6") == "openai"
    assert image_rule("bedrock", "global.anthropic.claude-opus-5-5") == "anthropic"
    assert image_rule("bedrock", "us.amazon.nova-pro-v1:0") is None
    assert image_rule("google", "gemini-4-argon") == "gemini"
    assert image_rule("mistral", "mistral-large") is None
