"""SQLAlchemy 2 typed models. The schema itself is built only by the Alembic migrations beside this file."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Dialect,
    Enum,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, QueryableAttribute, mapped_column, relationship
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.types import TypeDecorator

from bot.core.clock import utcnow
from bot.core.vocabulary import LIVE_STATUSES, AppointmentStatus, Channel


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes stored in UTC; SQLite (which keeps no offset) gets them back as UTC too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass a timezone-aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


#: A staff outage message must leave room for the clinic's phone, its hours, 811 and 911 within two SMS.
OUTAGE_MESSAGE_MAX = 100


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {datetime: UTCDateTime}


def is_live(status: QueryableAttribute[Any]) -> ColumnElement[bool]:
    """`status IN ('booked', 'confirmed')` with the values written into the SQL, not bound.

    Only then can SQLite (and PostgreSQL's generic plans of prepared statements) use the partial index on
    live appointments; with bound parameters SQLite reads the whole appointments table per slot.
    """
    live: BindParameter[list[str]] = bindparam(
        "live_statuses", [s.value for s in LIVE_STATUSES], expanding=True, literal_execute=True
    )
    return status.in_(live)


def _string_enum(enum: type[StrEnum], name: str) -> Enum:
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
    )


class Clinic(Base):
    """A clinic, mirrored from the clinics file so that rows can refer to it."""

    __tablename__ = "clinics"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_fr: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    sms_number: Mapped[str] = mapped_column(String(16), unique=True)
    voice_number: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    practitioners: Mapped[list[Practitioner]] = relationship(back_populates="clinic")


class Practitioner(Base):
    """A practitioner of a clinic; `key` is the id used in the clinics file."""

    __tablename__ = "practitioners"
    __table_args__ = (UniqueConstraint("clinic_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id"))
    key: Mapped[str] = mapped_column(String(64))
    name_fr: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    slot_minutes: Mapped[int]
    active: Mapped[bool] = mapped_column(default=True)

    clinic: Mapped[Clinic] = relationship(back_populates="practitioners")


class AppointmentType(Base):
    """A kind of visit and its length."""

    __tablename__ = "appointment_types"
    __table_args__ = (UniqueConstraint("clinic_id", "key"), CheckConstraint("minutes > 0", name="positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id"))
    key: Mapped[str] = mapped_column(String(64))
    name_fr: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    minutes: Mapped[int]


class Slot(Base):
    """A bookable time of one practitioner. Slots of one practitioner never overlap (enforced by the database)."""

    __tablename__ = "slots"
    __table_args__ = (
        UniqueConstraint("practitioner_id", "start_at"),
        CheckConstraint("end_at > start_at", name="ends_after_start"),
        CheckConstraint("minutes BETWEEN 1 AND 240", name="length"),
        # In the order free slots are offered: a search reads the index in order and stops at its limit.
        Index(None, "clinic_id", "start_at", "practitioner_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id"))
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioners.id"))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    minutes: Mapped[int]
    source: Mapped[str] = mapped_column(String(16), default="generated")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    practitioner: Mapped[Practitioner] = relationship()


class Patient(Base):
    """Someone who texts or calls; the E.164 number is their identity."""

    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(16), unique=True)
    language: Mapped[str] = mapped_column(String(2), default="fr")
    opted_out_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Appointment(Base):
    """A booking. At most one live (booked or confirmed) appointment per slot: a partial unique index."""

    __tablename__ = "appointments"
    __table_args__ = (
        Index(
            "uq_appointments_live_slot",
            "slot_id",
            unique=True,
            postgresql_where=text("status IN ('booked', 'confirmed')"),
            sqlite_where=text("status IN ('booked', 'confirmed')"),
        ),
        Index(None, "patient_id", "start_at"),
        Index(None, "clinic_id", "start_at"),
        Index(
            "uq_appointments_backend_external_id",
            "backend",
            "external_id",
            unique=True,
            postgresql_where=text("external_id IS NOT NULL"),
            sqlite_where=text("external_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id"))
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioners.id"))
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("slots.id"))
    appointment_type_id: Mapped[int | None] = mapped_column(ForeignKey("appointment_types.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    status: Mapped[AppointmentStatus] = mapped_column(
        _string_enum(AppointmentStatus, "appointment_status"), default=AppointmentStatus.BOOKED
    )
    channel: Mapped[Channel] = mapped_column(_string_enum(Channel, "channel"))
    backend: Mapped[str] = mapped_column(String(32), default="sql")
    external_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    practitioner: Mapped[Practitioner] = relationship()
    patient: Mapped[Patient] = relationship()


class AppointmentEvent(Base):
    """The audit trail: every change of an appointment, who made it through which channel, and when."""

    __tablename__ = "appointment_events"
    __table_args__ = (Index(None, "appointment_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    channel: Mapped[Channel] = mapped_column(_string_enum(Channel, "channel"))
    related_appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))


class ProcessedWebhook(Base):
    """A Twilio MessageSid/CallSid already handled, with the reply given, so a retry acts once."""

    __tablename__ = "processed_webhooks"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    response: Mapped[str | None] = mapped_column(Text)


class OutageSwitch(Base):
    """Online booking switched off by the clinic's staff, with their own message; no row means it is on."""

    __tablename__ = "outage_switches"

    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id"), primary_key=True)
    message_fr: Mapped[str] = mapped_column(String(OUTAGE_MESSAGE_MAX))
    message_en: Mapped[str] = mapped_column(String(OUTAGE_MESSAGE_MAX))
    switched_off_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxStatus(StrEnum):
    """Where a kept request stands; a drain worker holds one of the first two by `claimed_by`/`claimed_until`."""

    PENDING = "pending"  # kept, waiting for the back-end
    NOTIFYING = "notifying"  # handled on the back-end; the patient's text is still to be sent
    DONE = "done"  # handled and the patient told (or not to be told: opted out)


class OutboxRequest(Base):
    """A patient's request kept while the clinic's booking back-end was down, replayed once when it is back."""

    __tablename__ = "outbox_requests"
    __table_args__ = (Index(None, "status", "id"), Index(None, "clinic_id", "patient_phone"))

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id"))
    patient_phone: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(2))
    kind: Mapped[str] = mapped_column(String(16))
    #: What was asked, as JSON: the wanted time or slot, the practitioner, the appointment to cancel…
    request: Mapped[str] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(
        _string_enum(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    #: How it ended (booked, taken, cancelled, offered, failed…) and the text the patient gets.
    outcome: Mapped[str | None] = mapped_column(String(32))
    notice: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None]
    notified_at: Mapped[datetime | None]


class MirroredAppointment(Base):
    """An appointment as a remote back-end last reported it, so that "when is my appointment?" still has an
    answer while that back-end is down."""

    __tablename__ = "mirrored_appointments"
    __table_args__ = (Index(None, "clinic_id", "patient_phone", "start_at"),)

    backend: Mapped[str] = mapped_column(String(200), primary_key=True)
    appointment_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id"))
    patient_phone: Mapped[str] = mapped_column(String(16))
    practitioner_id: Mapped[str] = mapped_column(String(64))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    status: Mapped[AppointmentStatus] = mapped_column(_string_enum(AppointmentStatus, "appointment_status"))
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class CallOutcome(Base):
    """How a call ended, as Twilio's status callback reported it last (completed, busy, no-answer, failed…)."""

    __tablename__ = "call_outcomes"

    call_sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    clinic_number: Mapped[str] = mapped_column(String(16))
    caller: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    duration_s: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    """A clinic's token for the clinic API, kept only as its SHA-256: the token itself is shown once, at creation."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id"))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReminderStatus(StrEnum):
    """Where one reminder text stands; it only moves forward (planned → sent → delivered → answered)."""

    PLANNED = "planned"
    #: Claimed by one sender, whose text is being handed to Twilio.
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    ANSWERED = "answered"
    FAILED = "failed"
    #: The visit moved or was cancelled before it went: never sent.
    WITHDRAWN = "withdrawn"
    #: Its moment passed while nothing ran, too close to the visit to be sent late.
    SKIPPED = "skipped"


class Reminder(Base):
    """One reminder text of an appointment at one moment of the clinic's policy (72 h, 24 h…) for one visit time:
    at most one such row, so at most one such text."""

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("appointment_id", "hours_before", "visit_at"),
        Index(None, "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"))
    hours_before: Mapped[int]
    #: The visit time this reminder was planned for (a moved visit gets reminders of its own).
    visit_at: Mapped[datetime]
    due_at: Mapped[datetime]
    language: Mapped[str] = mapped_column(String(2))
    status: Mapped[ReminderStatus] = mapped_column(
        _string_enum(ReminderStatus, "reminder_status"), default=ReminderStatus.PLANNED
    )
    #: Texts handed to Twilio for it (a carrier's temporary refusal earns one more).
    attempts: Mapped[int] = mapped_column(default=0)
    #: Which sender claimed it, and when: exactly one does.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    message_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    error_code: Mapped[int | None]
    sent_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
