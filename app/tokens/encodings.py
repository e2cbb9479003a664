"""Load OpenAI's public BPE encodings from a local tiktoken cache, never from the network."""
from __future__ import annotations

import binascii
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import tiktoken

URL_TEMPLATE = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
ENDOFTEXT, ENDOFPROMPT = "<|endoftext|>", "<|endofprompt|>"
FIM_PREFIX, FIM_MIDDLE, FIM_SUFFIX = "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>"


@dataclass(frozen=True)
class EncodingSpec:
    """What tiktoken_ext.openai_public pins for one encoding: file hash, split pattern, specials."""

    name: str
    sha256: str
    pat_str: str
    special_tokens: dict[str, int] = field(default_factory=dict)

    @property
    def cache_key(self) -> str:
        return hashlib.sha1(URL_TEMPLATE.format(name=self.name).encode()).hexdigest()


# Copied from tiktoken_ext/openai_public.py (tiktoken 0.14); a test checks they still match.
SPECS: dict[str, EncodingSpec] = {s.name: s for s in (
    EncodingSpec(
        "o200k_base", "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        "|".join([
            r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
            r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
            r"""\p{N}{1,3}""",
            r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
            r"""\s*[\r\n]+""",
            r"""\s+(?!\S)""",
            r"""\s+""",
        ]),
        {ENDOFTEXT: 199999, ENDOFPROMPT: 200018},
    ),
    EncodingSpec(
        "cl100k_base", "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s""",
        {ENDOFTEXT: 100257, FIM_PREFIX: 100258, FIM_MIDDLE: 100259, FIM_SUFFIX: 100260, ENDOFPROMPT: 100276},
    ),
)}


class EncodingUnavailable(Exception):
    """An encoding's cache file is missing, unreadable or fails its hash check."""


def cache_dir_from(explicit: str | os.PathLike | None) -> Path | None:
    """Return the cache directory to read: the explicit one, else TIKTOKEN_CACHE_DIR, else None."""
    chosen = explicit if explicit is not None else os.environ.get("TIKTOKEN_CACHE_DIR")
    return Path(chosen) if chosen else None


def load_encoding(spec: EncodingSpec, cache_dir: Path) -> tiktoken.Encoding:
    """Build one Encoding from its verified cache file, or raise EncodingUnavailable."""
    path = cache_dir / spec.cache_key
    try:
        contents = path.read_bytes()
    except FileNotFoundError:   # the same words for every encoding, so the warning says it once
        raise EncodingUnavailable(f"not in {cache_dir} (`make encodings` fills it)") from None
    except OSError as exc:
        raise EncodingUnavailable(f"{spec.name}: cannot read {path}: {exc.strerror or exc}") from exc
    if hashlib.sha256(contents).hexdigest() != spec.sha256:
        raise EncodingUnavailable(f"{spec.name}: {path} fails its sha256 check")
    # Verified bytes always build the same immutable Encoding, so build each once per process
    # (an app factory called again, as tests do, then costs a hash, not a 0.5 s parse).
    if spec.name not in _BUILT:
        _BUILT[spec.name] = tiktoken.Encoding(name=spec.name, pat_str=spec.pat_str,
                                              mergeable_ranks=_parse_ranks(contents, path),
                                              special_tokens=dict(spec.special_tokens))
    return _BUILT[spec.name]


_BUILT: dict[str, tiktoken.Encoding] = {}


def _parse_ranks(contents: bytes, path: Path) -> dict[bytes, int]:
    # Same format as tiktoken.load.load_tiktoken_bpe. We do not call that function because on
    # a cache miss or hash mismatch it downloads, and it writes a copy of any local file it reads.
    # binascii's decoder is what base64.b64decode calls, minus its per-call argument checks:
    # a third of the start-up time once 300,000 tokens are decoded this way.
    decode = binascii.a2b_base64
    try:
        return {decode(token): int(rank) for token, rank in (line.split() for line in contents.splitlines() if line)}
    except (ValueError, binascii.Error) as exc:
        raise EncodingUnavailable(f"{path}: malformed rank file: {exc}") from exc


def load_available(cache_dir: Path | None) -> tuple[dict[str, tiktoken.Encoding], dict[str, str]]:
    """Load every known encoding present in cache_dir; return (loaded, {name: why missing})."""
    loaded, missing = {}, {}
    for name, spec in SPECS.items():
        if cache_dir is None:
            missing[name] = "no cache directory (set TIKTOKEN_CACHE_DIR)"
            continue
        try:
            loaded[name] = load_encoding(spec, cache_dir)
        except EncodingUnavailable as exc:
            missing[name] = str(exc)
    return loaded, missing
