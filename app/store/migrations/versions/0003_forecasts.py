"""Ledger: the prompt's o200k count and the output prediction in force at each call.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = ("base_input_tokens", "predicted_output_tokens", "predicted_output_low", "predicted_output_high")


def upgrade() -> None:
    # Nullable columns: ADD COLUMN on both SQLite and PostgreSQL, no table rebuild.
    for name in COLUMNS:
        op.add_column("ledger", sa.Column(name, sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ledger") as batch:   # SQLite drops columns by rebuilding the table
        for name in reversed(COLUMNS):
            batch.drop_column(name)
