"""reminders

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

STATUSES = ("planned", "sending", "sent", "delivered", "answered", "failed", "withdrawn", "skipped")


def upgrade() -> None:
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("hours_before", sa.Integer(), nullable=False),
        sa.Column("visit_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column(
            "status",
            sa.Enum(*STATUSES, name="reminder_status", native_enum=False, create_constraint=True, length=16),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_sid", sa.String(length=64), nullable=True),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"], ["appointments.id"], name=op.f("fk_reminders_appointment_id_appointments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
        sa.UniqueConstraint(
            "appointment_id", "hours_before", "visit_at", name=op.f("uq_reminders_appointment_id_hours_before_visit_at")
        ),
    )
    op.create_index(op.f("ix_reminders_status_due_at"), "reminders", ["status", "due_at"], unique=False)
    op.create_index(op.f("ix_reminders_message_sid"), "reminders", ["message_sid"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_reminders_message_sid"), table_name="reminders")
    op.drop_index(op.f("ix_reminders_status_due_at"), table_name="reminders")
    op.drop_table("reminders")
