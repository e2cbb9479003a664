"""Images in user messages: read ``image_url`` parts, their bytes and size, and what they cost in tokens.

We never fetch a remote URL (that would let a caller make this server reach any address): a URL
is passed on only to vendors that fetch it themselves, and refused where a vendor needs bytes.
Dimensions come from Pillow reading the header only (``Image.open`` is lazy: nothing is decoded).
"""
from __future__ import annotations

import base64
import binascii
import io
import math
import re
from dataclasses import dataclass
from typing import Any

from .errors import AgentParamError

MAX_IMAGE_BYTES = 20 * 1024 * 1024     # decoded bytes of one image (OpenAI's per-image limit is 20 MB)
MAX_IMAGE_PIXELS = 100_000_000         # larger than any vendor accepts; refused before anything is sent
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
DATA_URL = re.compile(r"^data:(?P<type>[\w.+-]+/[\w.+-]+)?(?P<params>(;[^,;]*)*?);base64,(?P<data>.*)$", re.S)


@dataclass(frozen=True)
class ImageInput:
    """An image part: inline bytes (``data``, base64 as received) with its real type and size, or a URL."""

    where: str                 # e.g. messages[1].content[0], for error messages
    detail: str = "auto"
    url: str | None = None     # a remote http(s) URL, never fetched
    media_type: str | None = None
    data: str | None = None    # base64, as it arrived
    width: int = 0
    height: int = 0

    @property
    def is_remote(self) -> bool:
        return self.url is not None

    def require_bytes(self, vendor: str) -> None:
        """Refuse a remote URL for a vendor that takes image bytes only."""
        if self.is_remote:
            raise AgentParamError(f"{self.where}.image_url", f"{vendor} takes images as bytes only: send a data "
                                  "URL (data:image/png;base64,...); Price Runner does not fetch remote URLs")


def parse_image_part(part: dict, where: str) -> ImageInput:
    """Read an OpenAI ``image_url`` part; a data URL is decoded (bounded) and its header read."""
    spec = part.get("image_url")
    url = spec.get("url") if isinstance(spec, dict) else spec
    detail = spec.get("detail", "auto") if isinstance(spec, dict) else "auto"
    if detail not in ("auto", "low", "high"):
        raise AgentParamError(f"{where}.image_url.detail", f"{where}.image_url.detail must be auto, low or high")
    if not isinstance(url, str) or not url:
        raise AgentParamError(f"{where}.image_url", f"{where}.image_url.url must be a URL")
    if url.startswith(("https://", "http://")):
        return ImageInput(where, detail, url=url)
    match = DATA_URL.match(url)
    if not match:
        raise AgentParamError(f"{where}.image_url", f"{where}.image_url.url must be an http(s) URL or a base64 "
                              "data URL")
    data = "".join(match["data"].split())
    if len(data) > (MAX_IMAGE_BYTES * 4) // 3 + 4:
        raise AgentParamError(f"{where}.image_url", f"{where}: the image is larger than {MAX_IMAGE_BYTES} bytes")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise AgentParamError(f"{where}.image_url", f"{where}: the data URL is not valid base64") from None
    media_type, width, height = image_header(raw, where)
    return ImageInput(where, detail, media_type=media_type, data=data, width=width, height=height)


def image_header(raw: bytes, where: str) -> tuple[str, int, int]:
    """Return (media type, width, height) from the image header; only PNG, JPEG, GIF and WebP pass."""
    from PIL import Image, UnidentifiedImageError   # imported here: only image requests need Pillow
    try:
        with Image.open(io.BytesIO(raw), formats=list(FORMATS)) as image:   # lazy: reads the header only
            kind, (width, height) = image.format, image.size
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise AgentParamError(f"{where}.image_url", f"{where}: not a PNG, JPEG, GIF or WebP image") from None
    if width <= 0 or height <= 0 or width * height > MAX_IMAGE_PIXELS:
        raise AgentParamError(f"{where}.image_url", f"{where}: image is {width}x{height} pixels, more than "
                              f"{MAX_IMAGE_PIXELS} in all")
    return FORMATS[kind], width, height


# --- token cost, per vendor rule -------------------------------------------------------------

def openai_tokens(width: int, height: int, detail: str = "auto") -> int:
    """OpenAI's tile rule: low is 85; else fit in 2048x2048, shortest side to 768, 170 per 512px tile + 85.

    https://platform.openai.com/docs/guides/images-vision#calculating-costs
    """
    if detail == "low":
        return 85
    w, h = float(width), float(height)
    if max(w, h) > 2048:
        scale = 2048 / max(w, h)
        w, h = w * scale, h * scale
    if min(w, h) > 768:
        scale = 768 / min(w, h)
        w, h = w * scale, h * scale
    return 85 + 170 * math.ceil(math.floor(w) / 512) * math.ceil(math.floor(h) / 512)


def anthropic_tokens(width: int, height: int) -> int:
    """Anthropic's rule: tokens = width*height/750, after scaling the long edge to at most 1568 px and
    the image to at most ~1,600 tokens (aspect ratio kept).

    https://docs.claude.com/en/docs/build-with-claude/vision#calculate-image-costs
    """
    w, h = float(width), float(height)
    if max(w, h) > 1568:
        scale = 1568 / max(w, h)
        w, h = w * scale, h * scale
    if w * h / 750 > 1600:
        scale = math.sqrt(1600 * 750 / (w * h))
        w, h = w * scale, h * scale
    return math.ceil(math.floor(w) * math.floor(h) / 750)


def gemini_tokens(width: int, height: int) -> int:
    """Gemini's rule: 258 when both sides are at most 384 px, else 258 per 768x768 tile.

    https://ai.google.dev/gemini-api/docs/tokens#multimodal-tokens
    """
    if width <= 384 and height <= 384:
        return 258
    return 258 * math.ceil(width / 768) * math.ceil(height / 768)


RULES = {"openai": lambda i: openai_tokens(i.width, i.height, i.detail),
         "anthropic": lambda i: anthropic_tokens(i.width, i.height),
         "gemini": lambda i: gemini_tokens(i.width, i.height)}


def image_rule(provider: str, api_model: str) -> str | None:
    """Return the token rule a catalog row's vendor documents for images, or None when none is documented."""
    if provider in ("openai", "azure"):
        return "openai"
    if provider == "anthropic" or (provider == "bedrock" and "anthropic.claude" in api_model):
        return "anthropic"
    if provider == "google":
        return "gemini"
    return None


@dataclass(frozen=True)
class ImageCost:
    tokens: int          # the images whose cost is known
    images: int          # every image in the request
    uncounted: int       # images whose tokens are unknown (no documented rule, or a remote URL's size)


def image_cost(images: list[ImageInput], rule: str | None) -> ImageCost:
    """Return the input tokens the images cost under a vendor's rule (remote URLs: size unknown)."""
    known = [i for i in images if not i.is_remote] if rule else []
    return ImageCost(sum(RULES[rule](i) for i in known) if rule else 0, len(images), len(images) - len(known))


def images_of(body: dict) -> list[ImageInput]:
    """Return every image of an OpenAI request's messages, read (and so checked)."""
    from .messages import read_messages
    return [p for m in read_messages(body) for p in m.parts if isinstance(p, ImageInput)]


def as_data_url(image: ImageInput) -> str:
    """Return an inline image as the data URL OpenAI-compatible vendors take."""
    return f"data:{image.media_type};base64,{image.data}"


