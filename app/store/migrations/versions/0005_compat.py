"""Models: the release date (models.csv's released column), the /v1 model list's created.

Revision ID: 0005_compat
Revises: 0005_windows
Create Date: 2026-12-08
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_compat"
down_revision = "0005_windows"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: ADD COLUMN on both SQLite and PostgreSQL; the next catalog import fills it from models.csv.
    op.add_column("models", sa.Column("released", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("models") as batch:   # SQLite drops columns by rebuilding the table
        batch.drop_column("released")
