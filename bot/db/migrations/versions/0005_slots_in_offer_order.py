"""slots indexed in the order they are offered

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_slots_clinic_id_start_at_practitioner_id", "slots", ["clinic_id", "start_at", "practitioner_id"]
    )
    op.drop_index("ix_slots_clinic_id_start_at", table_name="slots")


def downgrade() -> None:
    op.create_index("ix_slots_clinic_id_start_at", "slots", ["clinic_id", "start_at"])
    op.drop_index("ix_slots_clinic_id_start_at_practitioner_id", table_name="slots")
