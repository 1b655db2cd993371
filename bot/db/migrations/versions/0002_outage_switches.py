"""outage switches

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outage_switches",
        sa.Column("clinic_id", sa.String(length=64), nullable=False),
        sa.Column("message_fr", sa.String(length=100), nullable=False),
        sa.Column("message_en", sa.String(length=100), nullable=False),
        sa.Column("switched_off_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"], name=op.f("fk_outage_switches_clinic_id_clinics")),
        sa.PrimaryKeyConstraint("clinic_id", name=op.f("pk_outage_switches")),
    )


def downgrade() -> None:
    op.drop_table("outage_switches")
