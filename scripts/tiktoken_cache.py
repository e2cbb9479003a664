"""Build a tiktoken cache directory so the service never downloads encodings while serving.

Copy mode:      python scripts/tiktoken_cache.py --from ../shared/data/tiktoken --to .tiktoken_cache
Download mode:  python scripts/tiktoken_cache.py --download --to .tiktoken_cache   (needs internet)
Both:           --from DIR --download copies when DIR holds every file, else downloads.

Each file lands under tiktoken's cache key (sha1 of its public URL) after its sha256 is checked,
which is exactly where ``tiktoken`` and ``app.tokens`` look when TIKTOKEN_CACHE_DIR names the dir.
A cache that already holds every verified file is left alone (nothing copied or fetched).
"""
from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

URL_TEMPLATE = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
CONNECT_TIMEOUT_S, DOWNLOAD_TIMEOUT_S = 5.0, 20.0   # seconds to connect, and between two reads


@dataclass(frozen=True)
class EncodingFile:
    name: str
    sha256: str  # the expected_hash tiktoken_ext.openai_public pins

    @property
    def url(self) -> str:
        return URL_TEMPLATE.format(name=self.name)

    @property
    def cache_key(self) -> str:
        return hashlib.sha1(self.url.encode()).hexdigest()

    @property
    def file_name(self) -> str:
        return f"{self.name}.tiktoken"


ENCODINGS: dict[str, EncodingFile] = {e.name: e for e in (
    EncodingFile("o200k_base", "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"),
    EncodingFile("cl100k_base", "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"),
)}


class CacheBuildError(Exception):
    """The cache could not be built; the message says which file and why."""


def sha256_of(path: Path) -> str:
    """Return the hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def is_cached(cache_dir: Path, encoding: EncodingFile) -> bool:
    """Tell whether the cache already holds a verified copy of the encoding."""
    target = cache_dir / encoding.cache_key
    return target.is_file() and sha256_of(target) == encoding.sha256


def copy_into_cache(source_dir: Path, cache_dir: Path, names=tuple(ENCODINGS)) -> list[Path]:
    """Copy each encoding file from source_dir under its cache key, verifying sha256 first."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names:
        encoding = ENCODINGS[name]
        target = cache_dir / encoding.cache_key
        if is_cached(cache_dir, encoding):
            written.append(target)
            continue
        source = source_dir / encoding.file_name
        if not source.is_file():
            raise CacheBuildError(f"{source}: missing")
        actual = sha256_of(source)
        if actual != encoding.sha256:
            raise CacheBuildError(f"{source}: sha256 {actual} does not match expected {encoding.sha256}")
        _atomic_copy(source, target)
        written.append(target)
    return written


def _atomic_copy(source: Path, target: Path) -> None:
    _atomic_write(source.read_bytes(), target)


def _atomic_write(contents: bytes, target: Path) -> None:
    # Write then rename, so a concurrent reader never sees a half-written cache file.
    handle, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(contents)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def download_into_cache(cache_dir: Path, names=tuple(ENCODINGS)) -> list[Path]:
    """Fetch each encoding from its public URL into cache_dir, sha256-checked (build time only)."""
    import requests  # imported here: copy mode needs no HTTP client

    cache_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names:
        encoding = ENCODINGS[name]
        target = cache_dir / encoding.cache_key
        if not is_cached(cache_dir, encoding):
            # tiktoken's own fetch sets no timeout: a network that drops packets would stall `make`.
            response = requests.get(encoding.url, timeout=(CONNECT_TIMEOUT_S, DOWNLOAD_TIMEOUT_S))
            response.raise_for_status()
            actual = hashlib.sha256(response.content).hexdigest()
            if actual != encoding.sha256:
                raise CacheBuildError(f"{encoding.url}: sha256 {actual} does not match expected {encoding.sha256}")
            _atomic_write(response.content, target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, build the cache and return the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", type=Path, help="directory holding <name>.tiktoken files")
    parser.add_argument("--download", action="store_true",
                        help="fetch the files from their public URLs (needs internet); with --from, only when that directory is missing")
    parser.add_argument("--to", dest="target", type=Path, required=True, help="cache directory to fill")
    parser.add_argument("--optional", action="store_true",
                        help="exit 0 with a note when no encodings can be had (the service then estimates)")
    args = parser.parse_args(argv)
    if args.source is None and not args.download:
        parser.error("give --from DIR, --download, or both")

    if all(is_cached(args.target, encoding) for encoding in ENCODINGS.values()):
        print(f"tiktoken_cache: {args.target} already holds every encoding")
        return 0
    try:
        paths = _fill(args)
    except CacheBuildError as exc:
        return _failed(str(exc), args.optional)
    except Exception as exc:  # network errors from download mode, reported plainly
        return _failed(f"download failed: {exc}", args.optional)
    for path in paths:
        print(f"tiktoken_cache: ok {path}")
    return 0


def _fill(args: argparse.Namespace) -> list[Path]:
    source = args.source
    # With --download, a source that lacks a file (an empty build context) means "fetch them".
    if source is not None and source.is_dir() and (not args.download or _holds_every_file(source)):
        return copy_into_cache(source, args.target)
    if args.download:
        return download_into_cache(args.target)
    raise CacheBuildError(f"source directory {source} not found")


def _holds_every_file(source: Path) -> bool:
    return all((source / encoding.file_name).is_file() for encoding in ENCODINGS.values())


def _failed(reason: str, optional: bool) -> int:
    if optional:
        print(f"tiktoken_cache: {reason}; skipped: token counts will be labelled estimates", file=sys.stderr)
        return 0
    print(f"tiktoken_cache: {reason}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
