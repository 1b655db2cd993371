"""Which free slots to offer a patient for what they wish: the matching ones, else the nearest others, saying why.

A wish is a set of constraints (days, part of the day, a time or a window, a practitioner or a kind of one). The
slots that meet them all are offered; when none does, the offer says why (the clinic is closed that day, the day
is past or beyond the booking horizon, nobody sees patients at that hour, everything is taken) and gives the
nearest slots that keep the rest of the wish. A day and time asked exactly and free is offered alone, to confirm.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from bot.booking.port import BookingBackend
from bot.clinics.calendar import ClinicCalendar
from bot.clinics.config import WEEKDAYS, ClinicConfig, PractitionerConfig
from bot.core.booking import OfferedSlot, SlotSearch
from bot.core.wish import Wish

OFFERED = 3
#: Slots fetched to choose the offered ones from when a time or a window is asked: a whole busy day or more.
CANDIDATES = 400
#: How far past the asked days the nearest others are looked for.
NEAREST_DAYS = 14
#: With a clock time asked, slots within this many minutes of it count as matching.
AT_TOLERANCE_MIN = 60
MINUTES_PER_DAY = 24 * 60


class Unfree(StrEnum):
    """Why nothing fits the wish as asked."""

    PAST = "past"  # the day is over
    BEYOND_HORIZON = "beyond_horizon"  # booking does not open that far ahead yet
    CLOSED = "closed"  # weekends and the clinic's weekly closed days
    HOLIDAY = "holiday"  # a statutory holiday
    CLOSURE = "closure"  # a day the clinic closed on its own
    OUTSIDE_HOURS = "outside_hours"  # nobody sees patients at that hour
    NOT_WORKING = "not_working"  # the practitioner asked for does not work that day
    CLOSED_DAYS = "closed_days"  # every day of the days asked is closed ("this weekend", "entre Noël et le 26")
    FULL = "full"  # every slot that fits is taken


@dataclass(frozen=True)
class Offer:
    """The slots to offer and how they relate to the wish."""

    slots: list[OfferedSlot]
    #: "exact" (they fit the wish), "nearest" (they keep part of it) or "none" (nothing free at all).
    outcome: str
    why: Unfree | None = None
    #: The very slot of an exact day and time: offered alone, to confirm.
    exact: bool = False
    #: The day the wish was about, when it was about one (what `why` speaks of).
    day: date | None = None
    #: For BEYOND_HORIZON, the first day booking opens for that day; for OUTSIDE_HOURS, the hours seen.
    opens_on: date | None = None
    hours: tuple[time, time] | None = field(default=None)


def whom(clinic: ClinicConfig, wish: Wish) -> list[PractitionerConfig]:
    """The practitioners who fit the wish: the one named, or those of the kind asked; all when none fits."""
    if wish.practitioner:
        named = clinic.practitioner(wish.practitioner)
        return [named] if named else list(clinic.practitioners)
    fitting = [
        p
        for p in clinic.practitioners
        if (wish.role is None or p.role == wish.role) and (wish.gender is None or p.gender == wish.gender)
    ]
    return fitting or list(clinic.practitioners)


def find_slots(scheduler: BookingBackend, clinic: ClinicConfig, wish: Wish, now: datetime) -> Offer:
    """The slots to offer for `wish` at `now`, with how they relate to it."""
    today = now.astimezone(clinic.zone).date()
    horizon = today + timedelta(days=clinic.booking_horizon_days)
    first = wish.first_day or today
    last = wish.last_day or (first if wish.first_day else horizon)
    people = whom(clinic, wish)
    days = (max(first, today), min(last, horizon))
    found = _matching(scheduler, clinic, wish, people, days, now) if days[0] <= days[1] else []
    if found:
        exact = _exact_slot(found, wish, clinic)
        if exact is not None:
            return Offer([exact], "exact", exact=True, day=first)
        return Offer(_ranked(found, wish, clinic)[:OFFERED], "exact")
    why, opens_on, hours = _why_nothing(clinic, wish, people, first, last, today, horizon)
    nearest = _nearest(scheduler, clinic, wish, people, days, today, horizon, now)
    outcome = "nearest" if nearest else "none"
    return Offer(nearest, outcome, why, day=first if first == last else None, opens_on=opens_on, hours=hours)


def _search(
    scheduler: BookingBackend,
    clinic: ClinicConfig,
    people: Sequence[PractitionerConfig],
    days: tuple[date, date],
    wish: Wish,
    now: datetime,
    *,
    within_its_times: bool = False,
) -> list[OfferedSlot]:
    """Free slots of these practitioners on these days, in the wish's part of the day (and, `within_its_times`,
    near its time and inside its window), earliest first."""
    everyone = len(people) == len(clinic.practitioners)
    asked = [None] if everyone else [p.id for p in people]
    # Slots near a time are ranked by how near, and the last ones of a day are the latest: fetched from many.
    # Otherwise the earliest come first, and a practitioner has one slot at a time, so this many hold OFFERED
    # distinct times when there are that many.
    ranked_later = wish.at is not None or wish.latest
    limit = CANDIDATES if ranked_later else OFFERED * (len(clinic.practitioners) if everyone else 1)
    starting_from, starting_before = _start_times(wish) if within_its_times else (None, None)
    found: list[OfferedSlot] = []
    for practitioner in asked:
        query = SlotSearch(
            clinic.id,
            days[0],
            days[1],
            wish.part_of_day,
            practitioner,
            not_before=now,
            limit=limit,
            starting_from=starting_from,
            starting_before=starting_before,
        )
        found.extend(scheduler.search(query))
    return sorted(found, key=lambda slot: slot.start)


def _start_times(wish: Wish) -> tuple[time | None, time | None]:
    """The clock times a slot fitting the wish starts within (`_fits_time`, said to the back-end so that it does
    not send the rest): its window, narrowed to an hour either side of its time."""
    if wish.at is None:
        return wish.after, wish.before
    wanted = _minutes(wish.at)
    near = [_clock(max(0, wanted - AT_TOLERANCE_MIN)), _clock(wanted + AT_TOLERANCE_MIN + 1)]
    starting_from = max(t for t in (wish.after, near[0]) if t is not None)
    starting_before = min((t for t in (wish.before, near[1]) if t is not None), default=None)
    return starting_from, starting_before


def _clock(minutes: int) -> time | None:
    """The clock time `minutes` after midnight; None from midnight on (the day's end)."""
    return time(minutes // 60, minutes % 60) if minutes < MINUTES_PER_DAY else None


def _local_time(slot: OfferedSlot, clinic: ClinicConfig) -> time:
    return slot.start.astimezone(clinic.zone).time()


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _fits_time(slot: OfferedSlot, wish: Wish, clinic: ClinicConfig) -> bool:
    """Whether the slot starts within the wish's window and near its time."""
    at = _local_time(slot, clinic)
    if wish.after is not None and at < wish.after:
        return False
    if wish.before is not None and at >= wish.before:
        return False
    return wish.at is None or abs(_minutes(at) - _minutes(wish.at)) <= AT_TOLERANCE_MIN


def _matching(
    scheduler: BookingBackend,
    clinic: ClinicConfig,
    wish: Wish,
    people: Sequence[PractitionerConfig],
    days: tuple[date, date],
    now: datetime,
) -> list[OfferedSlot]:
    found = _search(scheduler, clinic, people, days, wish, now, within_its_times=True)
    return [slot for slot in found if _fits_time(slot, wish, clinic)]


def _exact_slot(found: Sequence[OfferedSlot], wish: Wish, clinic: ClinicConfig) -> OfferedSlot | None:
    """The free slot at exactly the wished day and time (or that day's last one), when the wish names them."""
    if not wish.is_exact:
        return None
    if wish.latest and wish.at is None:
        return max(found, key=lambda slot: slot.start, default=None)
    return next((slot for slot in found if _local_time(slot, clinic) == wish.at), None)


def _distinct_times(found: Iterable[OfferedSlot]) -> list[OfferedSlot]:
    """One slot per start time: three practitioners free at 8:00 are one choice for a patient, not three."""
    return list({slot.start: slot for slot in reversed(list(found))}.values())[::-1]


def _ranked(found: Sequence[OfferedSlot], wish: Wish, clinic: ClinicConfig) -> list[OfferedSlot]:
    """The slots to show first: around the wished time when there is one (earliest days first), else the
    earliest; in time order."""
    distinct = _distinct_times(found)
    if wish.latest:  # the last ones of the day, latest first in the search, offered in time order
        return sorted(
            sorted(distinct, key=lambda s: s.start.astimezone(clinic.zone).time())[-OFFERED:], key=lambda s: s.start
        )
    if wish.at is None:
        return distinct[:OFFERED]
    wanted = _minutes(wish.at)

    def rank(slot: OfferedSlot) -> tuple[date, int]:
        local = slot.start.astimezone(clinic.zone)
        return local.date(), abs(_minutes(local.time()) - wanted)

    return sorted(sorted(distinct, key=rank)[:OFFERED], key=lambda slot: slot.start)


def _nearest(
    scheduler: BookingBackend,
    clinic: ClinicConfig,
    wish: Wish,
    people: Sequence[PractitionerConfig],
    days: tuple[date, date],
    today: date,
    horizon: date,
    now: datetime,
) -> list[OfferedSlot]:
    """The nearest slots that keep as much of the wish as can be: the same days at the nearest times, then the
    following days with the same hours, then the following days at any time; when nothing follows (a closure before
    the holidays, the horizon's end), the last open day before the asked days, at its hours or any time."""
    untimed = replace(wish, part_of_day=None, at=None, after=None, before=None)
    nearest_time = replace(untimed, at=wish.at or wish.after or wish.before)
    later = (max(days[1] + timedelta(days=1), today), min(days[1] + timedelta(days=NEAREST_DAYS), horizon))
    if days[0] > days[1]:  # the asked days are all past or beyond the horizon: from today on
        later = (today, min(today + timedelta(days=NEAREST_DAYS), horizon))
    attempts = []
    if days[0] <= days[1] and wish != untimed:
        attempts.append((days, nearest_time))
    attempts += [(later, wish), (later, untimed)]
    days_before = (days[0] - timedelta(days=back) for back in range(1, NEAREST_DAYS + 1))
    attempts += [
        ((day, day), relaxed) for day in days_before if day >= today for relaxed in dict.fromkeys((wish, untimed))
    ]
    for span, relaxed in attempts:
        found = _fitting(scheduler, clinic, people, span, relaxed, wish, now)
        if found:
            return _ranked(found, relaxed, clinic)
    return []


def _fitting(
    scheduler: BookingBackend,
    clinic: ClinicConfig,
    people: Sequence[PractitionerConfig],
    span: tuple[date, date],
    relaxed: Wish,
    wish: Wish,
    now: datetime,
) -> list[OfferedSlot]:
    """The free slots of `span` that fit `relaxed` (within the wish's own times when it is the wish itself)."""
    if span[0] > span[1]:
        return []
    found = _search(scheduler, clinic, people, span, relaxed, now, within_its_times=relaxed is wish)
    return [slot for slot in found if _fits_time(slot, wish, clinic)] if relaxed is wish else found


def _why_nothing(
    clinic: ClinicConfig,
    wish: Wish,
    people: Sequence[PractitionerConfig],
    first: date,
    last: date,
    today: date,
    horizon: date,
) -> tuple[Unfree, date | None, tuple[time, time] | None]:
    """Why nothing fits, with what to say of it: the day booking opens for a day beyond the horizon, the hours
    practitioners see patients for a time outside them."""
    if last < today:
        return Unfree.PAST, None, None
    if first > horizon:
        return Unfree.BEYOND_HORIZON, first - timedelta(days=clinic.booking_horizon_days), None
    if first == last:
        closed = _closed_on(clinic, people, first)
        if closed is not None:
            return closed, None, None
    elif _all_closed(clinic, people, max(first, today), min(last, horizon)):
        return Unfree.CLOSED_DAYS, None, None
    hours = _seeing_hours(people, first if first == last else None)
    asked = wish.at or wish.after or wish.before
    if hours and asked is not None and not (hours[0] <= asked < hours[1]):
        return Unfree.OUTSIDE_HOURS, None, hours
    return Unfree.FULL, None, None


def _closed_on(clinic: ClinicConfig, people: Sequence[PractitionerConfig], day: date) -> Unfree | None:
    """Why nobody is seen on `day` (a closure, a holiday, a closed weekday, the practitioners off), or None."""
    calendar = ClinicCalendar(clinic)
    reason = calendar.closure_reason(day)
    if reason == "closure":
        return Unfree.CLOSURE
    if reason is not None:
        return Unfree.HOLIDAY
    if not calendar.opening_windows(day):
        return Unfree.CLOSED
    return None if any(_works(p, day) for p in people) else Unfree.NOT_WORKING


def _all_closed(clinic: ClinicConfig, people: Sequence[PractitionerConfig], first: date, last: date) -> bool:
    """Whether the clinic is closed on every day from `first` to `last` (weekends, holidays, closures)."""
    days = (first + timedelta(days=offset) for offset in range((last - first).days + 1))
    return first <= last and all(
        _closed_on(clinic, people, day) in (Unfree.CLOSED, Unfree.HOLIDAY, Unfree.CLOSURE) for day in days
    )


def _works(practitioner: PractitionerConfig, day: date) -> bool:
    return bool(practitioner.availability.get(WEEKDAYS[day.weekday()]))


def _seeing_hours(people: Sequence[PractitionerConfig], day: date | None) -> tuple[time, time] | None:
    """From the earliest start to the latest end at which these practitioners see patients (that day, or any)."""
    weekdays = [WEEKDAYS[day.weekday()]] if day else list(WEEKDAYS)
    windows = [w for p in people for weekday in weekdays for w in p.availability.get(weekday, [])]
    if not windows:
        return None
    return min(w.start for w in windows), max(w.end for w in windows)
