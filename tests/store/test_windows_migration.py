"""Migration 0005_windows: DeepSeek's peak-only history is corrected once; what the ledger recorded stays."""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa

from app.store import catalog_db
from app.store.catalog_files import read_catalog
from app.store.engine import make_engine, reading, writing
from app.store.migrate import upgrade
from app.store.types import Money, UtcDateTime
from tests.catalog.test_catalog_data import REPO

# What the catalog held before the correction (price_history.csv as 0.2.3 left it).
WRONG = {"deepseek/deepseek-v4-pro": ("1.32", "3.96", "0.044"), "deepseek/deepseek-v4-flash": ("0.3", "1.2", "0.006"),
         "deepseek/deepseek-flash": ("0.3", "1.2", "0.006")}
EVER = datetime(1970, 1, 1, tzinfo=UTC)


def _old_catalog(engine) -> None:
    """The three DeepSeek models as a 0004 database held them, and a ledger row billed at the peak rate."""
    meta = sa.MetaData()
    meta.reflect(engine, only=["providers", "models"])
    tables = dict(meta.tables)
    tables["price_versions"] = sa.table(   # typed as the store writes them (exact money, UTC instants)
        "price_versions", sa.column("id", sa.Integer()), sa.column("model_id", sa.String()),
        sa.column("effective_from", UtcDateTime()), sa.column("effective_to", UtcDateTime()),
        *(sa.column(f"{name}_price_per_mtok", Money()) for name in ("input", "output", "cached_input")),
        sa.column("source", sa.String()), sa.column("checked_at", sa.Date()))
    tables["ledger"] = sa.table(
        "ledger", sa.column("created_at", UtcDateTime()), sa.column("request_id", sa.String()),
        sa.column("principal", sa.String()), sa.column("model_id", sa.String()), sa.column("provider", sa.String()),
        sa.column("price_version_id", sa.Integer()), sa.column("input_tokens", sa.Integer()),
        sa.column("output_tokens", sa.Integer()), sa.column("cost", Money()), sa.column("outcome", sa.String()))
    with engine.begin() as conn:
        conn.execute(tables["providers"].insert(), [{"key": "deepseek", "name": "DeepSeek"}])
        for position, (model_id, (price_in, price_out, cached)) in enumerate(WRONG.items()):
            name = model_id.split("/")[1]
            conn.execute(tables["models"].insert(), [{
                "id": model_id, "provider": "deepseek", "position": position, "listed": True, "model_name": name,
                "api_model": name, "is_default": position == 1, "context_window": 1_000_000,
                "max_output_tokens": 384_000, "mmlu_score": None, "mmlu_pro_score": None, "model_size": "Unknown",
                "tokenizer": "deepseek", "prices_checked": date(2026, 11, 27),
                "source": "https://api-docs.deepseek.com/quick_start/pricing"}])
            conn.execute(tables["price_versions"].insert(), [{
                "model_id": model_id, "effective_from": EVER, "effective_to": None,
                "input_price_per_mtok": Decimal(price_in), "output_price_per_mtok": Decimal(price_out),
                "cached_input_price_per_mtok": Decimal(cached), "source": "genai-prices 0.2.3 (peak rate)",
                "checked_at": date(2026, 12, 1)}])
        version_id = conn.scalar(sa.select(tables["price_versions"].c.id).where(
            tables["price_versions"].c.model_id == "deepseek/deepseek-v4-pro"))
        conn.execute(tables["ledger"].insert(), [{
            "created_at": datetime(2026, 12, 5, 12, tzinfo=UTC), "request_id": "r1", "principal": "anonymous",
            "model_id": "deepseek/deepseek-v4-pro", "provider": "deepseek", "price_version_id": version_id,
            "input_tokens": 1000, "output_tokens": 1000, "cost": Decimal("0.00528"), "outcome": "ok"}])


def test_the_wrong_history_is_corrected_to_the_files_and_the_ledger_keeps_its_cost(database_url):
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0004")
        _old_catalog(engine)
        upgrade(engine)
        _, versions = read_catalog(REPO / "models.csv", REPO / "price_history.csv")
        wanted = {model_id: [v for v in versions if v.model_id == model_id] for model_id in WRONG}
        with reading(engine) as session:
            stored = catalog_db.stored_versions(session)
            assert catalog_db.catalog_version(session) == 1   # workers reload
            for model_id, history in wanted.items():
                assert [v.__class__(**{**_fields(v), "id": None}) for v in stored[model_id]] == history, model_id
            ledger = tables_ledger()
            cost, version_id = session.execute(sa.select(ledger.c.cost, ledger.c.price_version_id)).one()
        assert cost == Decimal("0.00528") and version_id == stored["deepseek/deepseek-v4-pro"][0].id
        upgrade(engine)   # at head: nothing happens twice
        with reading(engine) as session:
            assert len(catalog_db.stored_versions(session)["deepseek/deepseek-v4-pro"]) == 5
    finally:
        engine.dispose()


def test_a_database_seeded_after_the_correction_is_left_alone(database_url):
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        with writing(engine) as session:
            catalog_db.seed_if_empty(session, REPO / "models.csv", REPO / "price_history.csv",
                                     datetime(2026, 12, 8, tzinfo=UTC))
        with writing(engine) as session:   # importing the same files again changes nothing
            assert not catalog_db.import_files(session, REPO / "models.csv", REPO / "price_history.csv",
                                               datetime(2026, 12, 8, tzinfo=UTC)).changed
    finally:
        engine.dispose()


def tables_ledger() -> sa.TableClause:
    return sa.table("ledger", sa.column("cost", Money()), sa.column("price_version_id", sa.Integer()))


def _fields(version) -> dict:
    return {name: getattr(version, name) for name in version.__dataclass_fields__}
