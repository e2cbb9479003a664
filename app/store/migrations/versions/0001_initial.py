"""Initial tables: providers, models, price versions, API keys, ledger, catalog state, upstream models.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from app.store.types import Money, UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MONEY = Money()
LIVE = "revoked_at IS NULL"


def upgrade() -> None:
    op.create_table(
        "providers",
        sa.Column("key", sa.String(32), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_providers")))
    op.create_table(
        "models",
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("model_name", sa.String(128), nullable=False),
        sa.Column("api_model", sa.String(256), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("context_window", sa.Integer(), nullable=False),
        sa.Column("max_output_tokens", sa.Integer(), nullable=False),
        sa.Column("mmlu_score", sa.Float(), nullable=True),
        sa.Column("mmlu_pro_score", sa.Float(), nullable=True),
        sa.Column("model_size", sa.String(32), nullable=False),
        sa.Column("tokenizer", sa.String(32), nullable=False),
        sa.Column("prices_checked", sa.Date(), nullable=False),
        sa.Column("source", sa.String(512), nullable=False),
        sa.ForeignKeyConstraint(["provider"], ["providers.key"], name=op.f("fk_models_provider")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_models")))
    op.create_index(op.f("ix_models_provider"), "models", ["provider"])
    op.create_table(
        "price_versions",
        sa.Column("id", BigId, nullable=False),
        sa.Column("model_id", sa.String(128), nullable=False),
        sa.Column("effective_from", UtcDateTime(timezone=True), nullable=False),
        sa.Column("effective_to", UtcDateTime(timezone=True), nullable=True),
        sa.Column("input_price_per_mtok", MONEY, nullable=False),
        sa.Column("output_price_per_mtok", MONEY, nullable=False),
        sa.Column("cached_input_price_per_mtok", MONEY, nullable=True),
        sa.Column("long_context_threshold", sa.Integer(), nullable=True),
        sa.Column("long_input_price_per_mtok", MONEY, nullable=True),
        sa.Column("long_output_price_per_mtok", MONEY, nullable=True),
        sa.Column("source", sa.String(512), nullable=False),
        sa.Column("checked_at", sa.Date(), nullable=False),
        sa.CheckConstraint("(long_context_threshold IS NULL) = (long_input_price_per_mtok IS NULL) "
                           "AND (long_context_threshold IS NULL) = (long_output_price_per_mtok IS NULL)",
                           name=op.f("ck_price_versions_tier")),
        sa.CheckConstraint("effective_to IS NULL OR effective_to > effective_from",
                           name=op.f("ck_price_versions_dates")),
        sa.CheckConstraint("input_price_per_mtok >= 0 AND output_price_per_mtok >= 0 "
                           "AND (cached_input_price_per_mtok IS NULL OR cached_input_price_per_mtok >= 0)",
                           name=op.f("ck_price_versions_non_negative")),
        sa.ForeignKeyConstraint(["model_id"], ["models.id"], name=op.f("fk_price_versions_model_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_versions")),
        sa.UniqueConstraint("model_id", "effective_from", name=op.f("uq_price_versions_model_id_effective_from")))
    op.create_table(
        "api_keys",
        sa.Column("id", BigId, nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")))
    op.create_index("uq_api_keys_live_name", "api_keys", ["name"], unique=True,
                    sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE))
    op.create_table(
        "ledger",
        sa.Column("id", BigId, nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("principal", sa.String(128), nullable=False),
        sa.Column("model_id", sa.String(128), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("price_version_id", BigId, nullable=True),
        sa.Column("estimated_input_tokens", sa.Integer(), nullable=True),
        sa.Column("input_tokens", sa.Integer(), nullable=True),
        sa.Column("output_tokens", sa.Integer(), nullable=True),
        sa.Column("cached_tokens", sa.Integer(), nullable=True),
        sa.Column("reasoning_tokens", sa.Integer(), nullable=True),
        sa.Column("cost", MONEY, nullable=True),
        sa.Column("cost_basis", sa.String(32), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("error_type", sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(["price_version_id"], ["price_versions.id"],
                                name=op.f("fk_ledger_price_version_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger")))
    op.create_index(op.f("ix_ledger_created_at"), "ledger", ["created_at"])
    op.create_index("ix_ledger_principal_created_at", "ledger", ["principal", "created_at"])
    state = op.create_table(
        "catalog_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_catalog_state_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_state")))
    op.bulk_insert(state, [{"id": 1, "version": 0, "changed_at": datetime.now(UTC)}])
    op.create_table(
        "upstream_models",
        sa.Column("provider_id", sa.String(64), nullable=False),
        sa.Column("model_id", sa.String(256), nullable=False),
        sa.Column("first_seen", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("provider_id", "model_id", name=op.f("pk_upstream_models")))


def downgrade() -> None:
    for table in ("upstream_models", "catalog_state", "ledger", "api_keys", "price_versions", "models",
                  "providers"):
        op.drop_table(table)
