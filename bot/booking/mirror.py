"""A copy of what remote back-ends last said of patients' appointments, so that "c'est quand mon rdv?" still has
an answer while the clinic's system is down ("selon nos derniers renseignements")."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, select, update

from bot.core.booking import BookedAppointment
from bot.core.clock import utcnow
from bot.core.vocabulary import LIVE_STATUSES, AppointmentStatus, Channel
from bot.db.inserts import upsert_into
from bot.db.models import MirroredAppointment
from bot.db.session import Database


class AppointmentMirror:
    """Appointments of remote back-ends as last seen, by (back-end, appointment id)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def remember(self, appointments: Iterable[BookedAppointment]) -> None:
        """Keep these appointments as the back-end just reported them."""
        rows = [
            {
                "backend": a.backend,
                "appointment_id": a.appointment_id,
                "clinic_id": a.clinic_id,
                "patient_phone": a.patient_phone,
                "practitioner_id": a.practitioner_id,
                "start_at": a.start,
                "end_at": a.end,
                "status": a.status,
                "seen_at": utcnow(),
            }
            for a in appointments
            if a.patient_phone  # a back-end that did not say whose it is gives nothing to answer with
        ]
        if not rows:
            return
        with self.database.engine.begin() as connection:
            for row in rows:
                changes = {k: v for k, v in row.items() if k not in ("backend", "appointment_id")}
                statement = upsert_into(connection, MirroredAppointment).values(**row)
                connection.execute(
                    statement.on_conflict_do_update(index_elements=["backend", "appointment_id"], set_=changes)
                )

    def refresh(self, backend: str, clinic_id: str, phone: str, after: datetime, live: list[BookedAppointment]) -> None:
        """The back-end's whole answer for this patient from `after` on: what it no longer lists is not live."""
        self.remember(live)
        listed = [a.appointment_id for a in live]
        statement = (
            update(MirroredAppointment)
            .where(
                MirroredAppointment.backend == backend,
                MirroredAppointment.clinic_id == clinic_id,
                MirroredAppointment.patient_phone == phone,
                MirroredAppointment.end_at > after,
                MirroredAppointment.appointment_id.not_in(listed),
                MirroredAppointment.status.in_(LIVE_STATUSES),
            )
            .values(status=AppointmentStatus.CANCELLED, seen_at=utcnow())
        )
        with self.database.engine.begin() as connection:
            connection.execute(statement)

    def cancelled(self, backend: str, appointment_id: str) -> None:
        """The appointment is no longer live (moved elsewhere)."""
        statement = (
            update(MirroredAppointment)
            .where(MirroredAppointment.backend == backend, MirroredAppointment.appointment_id == appointment_id)
            .values(status=AppointmentStatus.CANCELLED, seen_at=utcnow())
        )
        with self.database.engine.begin() as connection:
            connection.execute(statement)

    def last_known(self, backend: str, clinic_id: str, phone: str, after: datetime) -> list[BookedAppointment] | None:
        """The patient's live appointments ending after `after` as last seen (each with `as_of`), earliest first;
        None when the back-end never said anything of this patient (then nothing can be told)."""
        mine = and_(
            MirroredAppointment.backend == backend,
            MirroredAppointment.clinic_id == clinic_id,
            MirroredAppointment.patient_phone == phone,
        )
        with self.database.engine.connect() as connection:
            rows = connection.execute(select(MirroredAppointment).where(mine).order_by(MirroredAppointment.start_at))
            seen = [
                BookedAppointment(
                    row.appointment_id,
                    row.clinic_id,
                    row.practitioner_id,
                    row.patient_phone,
                    row.start_at,
                    row.end_at,
                    AppointmentStatus(row.status),
                    Channel.SYSTEM,
                    backend=row.backend,
                    external_id=row.appointment_id,
                    as_of=row.seen_at,
                )
                for row in rows
            ]
        if not seen:
            return None
        return [a for a in seen if a.is_live and a.end > after]
