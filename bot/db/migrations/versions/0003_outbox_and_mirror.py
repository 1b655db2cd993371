"""outbox of kept requests, mirror of remote appointments

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mirrored_appointments",
        sa.Column("backend", sa.String(length=200), nullable=False),
        sa.Column("appointment_id", sa.String(length=128), nullable=False),
        sa.Column("clinic_id", sa.String(length=64), nullable=False),
        sa.Column("patient_phone", sa.String(length=16), nullable=False),
        sa.Column("practitioner_id", sa.String(length=64), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "booked",
                "confirmed",
                "cancelled",
                "no_show",
                name="appointment_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"], name=op.f("fk_mirrored_appointments_clinic_id_clinics")),
        sa.PrimaryKeyConstraint("backend", "appointment_id", name=op.f("pk_mirrored_appointments")),
    )
    op.create_index(
        op.f("ix_mirrored_appointments_clinic_id_patient_phone_start_at"),
        "mirrored_appointments",
        ["clinic_id", "patient_phone", "start_at"],
        unique=False,
    )
    op.create_table(
        "outbox_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.String(length=64), nullable=False),
        sa.Column("patient_phone", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "notifying",
                "done",
                name="outbox_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("notice", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"], name=op.f("fk_outbox_requests_clinic_id_clinics")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_requests")),
    )
    op.create_index(
        op.f("ix_outbox_requests_clinic_id_patient_phone"),
        "outbox_requests",
        ["clinic_id", "patient_phone"],
        unique=False,
    )
    op.create_index(op.f("ix_outbox_requests_status_id"), "outbox_requests", ["status", "id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_requests_status_id"), table_name="outbox_requests")
    op.drop_index(op.f("ix_outbox_requests_clinic_id_patient_phone"), table_name="outbox_requests")
    op.drop_table("outbox_requests")
    op.drop_index(op.f("ix_mirrored_appointments_clinic_id_patient_phone_start_at"), table_name="mirrored_appointments")
    op.drop_table("mirrored_appointments")
