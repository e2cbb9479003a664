"""Spend: budget periods and reservations, idempotency keys, the shared answer cache.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

from app.store.types import Money, UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "budget_periods",
        sa.Column("principal", sa.String(128), nullable=False),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("spent", Money(), nullable=False),
        sa.PrimaryKeyConstraint("principal", "period", "start", name=op.f("pk_budget_periods")))
    op.create_table(
        "budget_reservations",
        sa.Column("id", BigId, nullable=False),
        sa.Column("principal", sa.String(128), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("model_id", sa.String(128), nullable=False),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("expires_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_reservations")))
    op.create_index("ix_budget_reservations_principal_day", "budget_reservations", ["principal", "day"])
    op.create_table(
        "idempotency_keys",
        sa.Column("principal", sa.String(128), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("body_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("response", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("principal", "key", name=op.f("pk_idempotency_keys")))
    op.create_index(op.f("ix_idempotency_keys_created_at"), "idempotency_keys", ["created_at"])
    op.create_table(
        "answer_cache",
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("stored_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_answer_cache")))
    op.create_index(op.f("ix_answer_cache_stored_at"), "answer_cache", ["stored_at"])
    state = op.create_table(
        "answer_cache_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("total_bytes", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_answer_cache_state_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer_cache_state")))
    op.bulk_insert(state, [{"id": 1, "total_bytes": 0}])


def downgrade() -> None:
    for table in ("answer_cache_state", "answer_cache", "idempotency_keys", "budget_reservations",
                  "budget_periods"):
        op.drop_table(table)
