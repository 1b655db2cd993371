"""call outcomes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_outcomes",
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("clinic_number", sa.String(length=16), nullable=False),
        sa.Column("caller", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("call_sid", name=op.f("pk_call_outcomes")),
    )


def downgrade() -> None:
    op.drop_table("call_outcomes")
