"""What one worker holds for its whole life: catalog, credentials, encodings, payloads."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from app.catalog import CatalogRepository
from app.pricing.catalog_payloads import CatalogPayloads
from app.secrets import Credentials


@dataclass
class Services:
    config: dict[str, Any]
    catalog: CatalogRepository
    credentials: Credentials
    configured: frozenset[str]          # vendor keys with credentials
    payloads: CatalogPayloads
    extras: dict[str, Any] = field(default_factory=dict)


def services() -> Services:
    """Return the running app's services (views only; worker threads get explicit arguments)."""
    return current_app.extensions["price_runner"]
