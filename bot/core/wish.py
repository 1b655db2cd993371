"""What a patient wants of an appointment: each constraint they named, and nothing they did not.

A correction amends only the constraints it names ("plutôt 15h" keeps the day, "finalement mardi" keeps the
practitioner and the part of the day, "avec le Dr Gagnon" keeps the day); constraints that the change makes
impossible (a morning after "plutôt 15h") give way to it. Typed inside; JSON only where it is stored or sent.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, time
from typing import Any

from bot.core.vocabulary import PART_OF_DAY_BOUNDS, Gender, PartOfDay, Role


@dataclass(frozen=True)
class Wish:
    """Constraints on the slot a patient wants; any may be missing."""

    first_day: date | None = None
    last_day: date | None = None
    part_of_day: PartOfDay | None = None
    at: time | None = None  # around this time
    after: time | None = None  # starting at this time or later
    before: time | None = None  # starting before this time
    earliest: bool = False
    latest: bool = False  # the last slot of the day
    practitioner: str | None = None
    role: Role | None = None
    gender: Gender | None = None

    @property
    def says_when(self) -> bool:
        """Whether it says anything about when: a search can be made from it without asking."""
        return any((self.first_day, self.part_of_day, self.at, self.after, self.before, self.earliest, self.latest))

    @property
    def says_whom(self) -> bool:
        """Whether it says anything about who."""
        return any((self.practitioner, self.role, self.gender))

    @property
    def is_exact(self) -> bool:
        """One day and one time (or its last slot): a slot free then can be confirmed at once rather than offered."""
        one_day = self.first_day is not None and self.first_day == self.last_day
        return one_day and (self.at is not None or self.latest)

    def amended(self, change: Wish) -> Wish:
        """This wish with the constraints `change` names, keeping the others where they still fit."""
        wish = self
        if change.first_day is not None:
            wish = replace(wish, first_day=change.first_day, last_day=change.last_day)
        if change.at is not None:
            wish = replace(wish, at=change.at, part_of_day=_part_holding(wish.part_of_day, change.at))
            wish = replace(wish, after=_still(wish.after, change.at, later=True))
            wish = replace(wish, before=_still(wish.before, change.at, later=False))
        if change.part_of_day is not None:
            wish = replace(wish, part_of_day=change.part_of_day, at=None, after=None, before=None)
        if change.after is not None or change.before is not None:
            wish = replace(wish, after=change.after, before=change.before, at=None)
            wish = replace(wish, part_of_day=_part_overlapping(wish.part_of_day, change.after, change.before))
        if change.earliest:
            wish = replace(wish, earliest=True, latest=False)
        if change.latest:
            wish = replace(wish, latest=True, earliest=False, at=None)
        if change.practitioner is not None:
            wish = replace(wish, practitioner=change.practitioner, role=None, gender=None)
        elif change.role is not None or change.gender is not None:
            wish = replace(wish, practitioner=None, role=change.role, gender=change.gender)
        return wish

    def to_json(self) -> dict[str, Any]:
        """The JSON-able form (ISO strings), without the constraints that are missing."""
        values: dict[str, Any] = {
            "first_day": self.first_day.isoformat() if self.first_day else None,
            "last_day": self.last_day.isoformat() if self.last_day else None,
            "part_of_day": str(self.part_of_day) if self.part_of_day else None,
            "at": _clock(self.at),
            "after": _clock(self.after),
            "before": _clock(self.before),
            "earliest": self.earliest or None,
            "latest": self.latest or None,
            "practitioner": self.practitioner,
            "role": self.role,
            "gender": self.gender,
        }
        return {key: value for key, value in values.items() if value is not None}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Wish:
        """Read `to_json` output (an empty wish from None)."""
        data = data or {}

        def day(key: str) -> date | None:
            return date.fromisoformat(data[key]) if data.get(key) else None

        def clock(key: str) -> time | None:
            return time.fromisoformat(data[key]) if data.get(key) else None

        first = day("first_day")
        return cls(
            first_day=first,
            last_day=day("last_day") or first,
            part_of_day=PartOfDay(data["part_of_day"]) if data.get("part_of_day") else None,
            at=clock("at"),
            after=clock("after"),
            before=clock("before"),
            earliest=bool(data.get("earliest")),
            latest=bool(data.get("latest")),
            practitioner=data.get("practitioner"),
            role=data.get("role"),
            gender=data.get("gender"),
        )


def _clock(moment: time | None) -> str | None:
    return moment.isoformat(timespec="minutes") if moment else None


def _within(part: PartOfDay, moment: time) -> bool:
    start, end = PART_OF_DAY_BOUNDS[part]
    return start <= moment and (end is None or moment < end)


def _part_holding(part: PartOfDay | None, moment: time) -> PartOfDay | None:
    """The part of the day kept when a time is asked: kept only if the time is in it."""
    return part if part is not None and _within(part, moment) else None


def _still(bound: time | None, moment: time, *, later: bool) -> time | None:
    """A window bound kept when a time is asked: kept only if the time is inside it."""
    if bound is None:
        return None
    return bound if (moment >= bound if later else moment < bound) else None


def _part_overlapping(part: PartOfDay | None, after: time | None, before: time | None) -> PartOfDay | None:
    """The part of the day kept when a window is asked: kept only if some of it is inside the window."""
    if part is None:
        return None
    start, end = PART_OF_DAY_BOUNDS[part]
    starts_too_late = before is not None and before <= start
    ends_too_early = after is not None and end is not None and end <= after
    return None if starts_too_late or ends_too_early else part
