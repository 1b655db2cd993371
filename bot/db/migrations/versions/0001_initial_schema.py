"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


#: Slots of one practitioner must never overlap. PostgreSQL enforces it exactly with an exclusion
#: constraint; SQLite (one writer at a time) with a trigger that looks back at most MAX_SLOT_MINUTES.
MAX_SLOT_MINUTES = 240  # also the ck_slots_length bound


def _forbid_overlapping_slots() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE slots ADD CONSTRAINT ex_slots_practitioner_overlap "
            "EXCLUDE USING gist (practitioner_id WITH =, tstzrange(start_at, end_at) WITH &&)"
        )
        op.execute(
            f"ALTER TABLE slots ADD CONSTRAINT ck_slots_real_length "
            f"CHECK (end_at - start_at <= interval '{MAX_SLOT_MINUTES} minutes')"
        )
    else:
        op.execute(
            f"""
            CREATE TRIGGER tr_slots_no_overlap BEFORE INSERT ON slots
            WHEN EXISTS (
                SELECT 1 FROM slots
                WHERE practitioner_id = NEW.practitioner_id
                  AND start_at > datetime(NEW.start_at, '-{MAX_SLOT_MINUTES} minutes')
                  AND start_at < NEW.end_at AND end_at > NEW.start_at
            ) OR (julianday(NEW.end_at) - julianday(NEW.start_at)) * 1440 > {MAX_SLOT_MINUTES} + 0.001
            BEGIN SELECT RAISE(ABORT, 'slot overlaps another slot of this practitioner or is too long'); END
            """
        )


def upgrade() -> None:
    op.create_table(
        "clinics",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name_fr", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("sms_number", sa.String(length=16), nullable=False),
        sa.Column("voice_number", sa.String(length=16), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinics")),
        sa.UniqueConstraint("sms_number", name=op.f("uq_clinics_sms_number")),
    )
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patients")),
        sa.UniqueConstraint("phone", name=op.f("uq_patients_phone")),
    )
    op.create_table(
        "processed_webhooks",
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("response", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_processed_webhooks")),
    )
    op.create_index(op.f("ix_processed_webhooks_received_at"), "processed_webhooks", ["received_at"], unique=False)

    op.create_table(
        "appointment_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name_fr", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.CheckConstraint("minutes > 0", name=op.f("ck_appointment_types_positive")),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"], name=op.f("fk_appointment_types_clinic_id_clinics")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_types")),
        sa.UniqueConstraint("clinic_id", "key", name=op.f("uq_appointment_types_clinic_id_key")),
    )
    op.create_table(
        "practitioners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name_fr", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"], name=op.f("fk_practitioners_clinic_id_clinics")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practitioners")),
        sa.UniqueConstraint("clinic_id", "key", name=op.f("uq_practitioners_clinic_id_key")),
    )
    op.create_table(
        "slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.String(length=64), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("end_at > start_at", name=op.f("ck_slots_ends_after_start")),
        sa.CheckConstraint("minutes BETWEEN 1 AND 240", name=op.f("ck_slots_length")),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"], name=op.f("fk_slots_clinic_id_clinics")),
        sa.ForeignKeyConstraint(
            ["practitioner_id"], ["practitioners.id"], name=op.f("fk_slots_practitioner_id_practitioners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slots")),
        sa.UniqueConstraint("practitioner_id", "start_at", name=op.f("uq_slots_practitioner_id_start_at")),
    )
    op.create_index(op.f("ix_slots_clinic_id_start_at"), "slots", ["clinic_id", "start_at"], unique=False)

    _forbid_overlapping_slots()
    op.create_table(
        "appointments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.String(length=64), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=True),
        sa.Column("appointment_type_id", sa.Integer(), nullable=True),
        sa.Column("patient_id", sa.Integer(), nullable=False),
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
        sa.Column(
            "channel",
            sa.Enum(
                "sms",
                "voice",
                "api",
                "staff",
                "system",
                name="channel",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("backend", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_type_id"],
            ["appointment_types.id"],
            name=op.f("fk_appointments_appointment_type_id_appointment_types"),
        ),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"], name=op.f("fk_appointments_clinic_id_clinics")),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_appointments_patient_id_patients")),
        sa.ForeignKeyConstraint(
            ["practitioner_id"], ["practitioners.id"], name=op.f("fk_appointments_practitioner_id_practitioners")
        ),
        sa.ForeignKeyConstraint(["slot_id"], ["slots.id"], name=op.f("fk_appointments_slot_id_slots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
    )
    op.create_index(op.f("ix_appointments_clinic_id_start_at"), "appointments", ["clinic_id", "start_at"], unique=False)
    op.create_index(
        op.f("ix_appointments_patient_id_start_at"), "appointments", ["patient_id", "start_at"], unique=False
    )
    op.create_index(
        "uq_appointments_backend_external_id",
        "appointments",
        ["backend", "external_id"],
        unique=True,
        postgresql_where=sa.text("external_id IS NOT NULL"),
        sqlite_where=sa.text("external_id IS NOT NULL"),
    )
    op.create_index(
        "uq_appointments_live_slot",
        "appointments",
        ["slot_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('booked', 'confirmed')"),
        sqlite_where=sa.text("status IN ('booked', 'confirmed')"),
    )

    op.create_table(
        "appointment_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "sms",
                "voice",
                "api",
                "staff",
                "system",
                name="channel",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("related_appointment_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["appointment_id"], ["appointments.id"], name=op.f("fk_appointment_events_appointment_id_appointments")
        ),
        sa.ForeignKeyConstraint(
            ["related_appointment_id"],
            ["appointments.id"],
            name=op.f("fk_appointment_events_related_appointment_id_appointments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_events")),
    )
    op.create_index(
        op.f("ix_appointment_events_appointment_id_at"), "appointment_events", ["appointment_id", "at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_appointment_events_appointment_id_at"), table_name="appointment_events")

    op.drop_table("appointment_events")
    op.drop_index(
        "uq_appointments_live_slot",
        table_name="appointments",
        postgresql_where=sa.text("status IN ('booked', 'confirmed')"),
        sqlite_where=sa.text("status IN ('booked', 'confirmed')"),
    )
    op.drop_index(
        "uq_appointments_backend_external_id",
        table_name="appointments",
        postgresql_where=sa.text("external_id IS NOT NULL"),
        sqlite_where=sa.text("external_id IS NOT NULL"),
    )
    op.drop_index(op.f("ix_appointments_patient_id_start_at"), table_name="appointments")
    op.drop_index(op.f("ix_appointments_clinic_id_start_at"), table_name="appointments")

    op.drop_table("appointments")
    op.drop_index(op.f("ix_slots_clinic_id_start_at"), table_name="slots")

    op.drop_table("slots")
    op.drop_table("practitioners")
    op.drop_table("appointment_types")
    op.drop_index(op.f("ix_processed_webhooks_received_at"), table_name="processed_webhooks")

    op.drop_table("processed_webhooks")
    op.drop_table("patients")
    op.drop_table("clinics")
