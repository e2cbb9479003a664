"""Where sync reads genai-prices' price data: the installed package, a file or a URL.

A URL is fetched once, synchronously, with genai-prices' own updater (``UpdatePrices.fetch``;
never ``start``, which would replace the whole process's price data); a file is parsed with the
parser that updater uses. Without a source the installed package's data serves, offline.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.metadata import version as package_version
from pathlib import Path

import httpx2
import pydantic
from genai_prices.data_snapshot import DataSnapshot, get_snapshot
from genai_prices.types import _providers_from_raw
from genai_prices.update_prices import UpdatePrices


class SourceError(RuntimeError):
    """The price data cannot be read or parsed; the message names the source."""


@dataclass(frozen=True, slots=True)
class PriceData:
    """A parsed price data set and how versions taken from it name their source."""

    snapshot: DataSnapshot
    label: str          # e.g. "genai-prices 0.2.5", "genai-prices data at https://..."
    complete: bool      # the installed package lists every provider; a given source may be partial


def installed() -> PriceData:
    """The installed genai-prices package's data (offline)."""
    return PriceData(get_snapshot(), f"genai-prices {package_version('genai-prices')}", True)


def load(source: str | None) -> PriceData:
    """The price data at source (an http(s) URL or a file path); the installed data without one."""
    if not source:
        return installed()
    if source.startswith(("http://", "https://")):
        snapshot = _fetch(source)
    else:
        snapshot = _read(Path(source))
    return PriceData(snapshot, f"genai-prices data at {source}", False)


def _fetch(url: str) -> DataSnapshot:
    try:
        snapshot = UpdatePrices(url=url).fetch()
    except (httpx2.HTTPError, ValueError, pydantic.ValidationError) as exc:
        raise SourceError(f"cannot read price data from {url}: {_reason(exc)}") from exc
    if snapshot is None:
        raise SourceError(f"cannot read price data from {url}: no data")
    return snapshot


def _read(path: Path) -> DataSnapshot:
    try:
        raw = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise SourceError(f"cannot read price data from {path}: {_reason(exc)}") from exc
    if not isinstance(raw, list):
        raise SourceError(f"cannot read price data from {path}: expected a JSON array of providers")
    try:
        return DataSnapshot(_providers_from_raw(raw), from_auto_update=False)
    except (pydantic.ValidationError, ValueError, TypeError) as exc:
        raise SourceError(f"cannot read price data from {path}: {_reason(exc)}") from exc


def _reason(exc: Exception) -> str:
    if isinstance(exc, pydantic.ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{exc.error_count()} invalid field(s), first at {where}: {first['msg']}"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
