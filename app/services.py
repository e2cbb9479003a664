"""What one worker holds for its whole life: catalog, credentials, encodings, payloads."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app

from app.catalog import CatalogRepository
from app.catalog.selection import NameIndex
from app.pricing.catalog_payloads import CatalogPayloads
from app.pricing.ranking import RankingTable
from app.routing.service import PromptRouter
from app.secrets import Credentials
from app.tokens.counter import TokenCounter


@dataclass
class Services:
    config: dict[str, Any]
    catalog: CatalogRepository
    names: NameIndex                    # catalog models by id and model_name
    credentials: Credentials
    configured: frozenset[str]          # vendor keys with credentials
    payloads: CatalogPayloads           # catalog responses, serialized once
    tokens: TokenCounter                # encodings, loaded once
    ranking: RankingTable               # per-model price constants
    router: PromptRouter                # send_prompt fan-out


def services() -> Services:
    """Return the running app's services (views only; worker threads get explicit arguments)."""
    return current_app.extensions["price_runner"]
