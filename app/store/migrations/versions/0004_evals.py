"""Evals: runs, per-model results and per-prompt outcomes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

from app.store.types import Money, UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "eval_runs",
        sa.Column("id", BigId, nullable=False),
        sa.Column("principal", sa.String(128), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("prompts", sa.Integer(), nullable=False),
        sa.Column("set_hash", sa.String(64), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eval_runs")))
    op.create_index("ix_eval_runs_principal_name", "eval_runs", ["principal", "name"])
    op.create_table(
        "eval_results",
        sa.Column("run_id", BigId, nullable=False),
        sa.Column("model_id", sa.String(128), nullable=False),
        sa.Column("passed", sa.Integer(), nullable=False),
        sa.Column("graded", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("cost", Money(), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["eval_runs.id"], name=op.f("fk_eval_results_run_id"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "model_id", name=op.f("pk_eval_results")))
    op.create_table(
        "eval_outcomes",
        sa.Column("run_id", BigId, nullable=False),
        sa.Column("model_id", sa.String(128), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("prompt_id", sa.String(64), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("problem", sa.String(64), nullable=True),
        sa.Column("cost", Money(), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["eval_runs.id"], name=op.f("fk_eval_outcomes_run_id"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "model_id", "position", name=op.f("pk_eval_outcomes")))


def downgrade() -> None:
    for table in ("eval_outcomes", "eval_results", "eval_runs"):
        op.drop_table(table)
