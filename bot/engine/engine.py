"""The flow engine: (understood message, conversation) -> replies, with the conversation updated in place.

Deterministic: the same message in the same state always gives the same answer. Actions are rasa-sdk
actions the engine is given (`bot.engine.tracker.FlowAction`); it talks to them only through a Tracker, a
CollectingDispatcher and the events they return.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.clinics.config import ClinicConfig
from bot.core.booking import BookingUnavailable
from bot.core.deadline import check_deadline
from bot.core.vocabulary import Channel
from bot.core.wish import Wish
from bot.engine.conversation import WISH_SLOT, Conversation, Frame, json_slots
from bot.engine.flows import END, CodeNames, FlowBook, Step
from bot.engine.render import Renderer
from bot.engine.replies import BotTurn, Expect, Handoff, Happening, Reply, TurnEvent
from bot.engine.tracker import (
    CHANNEL_SLOT,
    CLINIC_SLOT,
    DROPPED_SLOT,
    HANDOFF_SLOT,
    LANGUAGE_SLOT,
    NOW_SLOT,
    FlowAction,
)
from bot.nlu import Intent, Understanding, When
from bot.nlu.model import LAST_PICK

#: A runaway flow (a loop of steps that never waits) is stopped after this many steps in one turn.
MAX_STEPS_PER_TURN = 50
#: Silence after which a half-finished request is dropped; the patient is told so before the answer.
CONVERSATION_TIMEOUT_S = 30 * 60
#: After this many answers that do not fit the question, the patient is sent to the clinic.
MAX_REPROMPTS = 2
NAMES_USED = CodeNames(
    __name__,
    responses=("utter_which_date", "utter_health_note", "utter_week_hours", "utter_unknown_practitioner"),
    flows=(
        "pattern_timeout",
        "pattern_cannot_handle",
        "pattern_silence",
        "pattern_correction",
        "pattern_restart",
        "pattern_cancel_flow",
        "pattern_not_understood",
        "pattern_booking_unavailable",
        "pattern_which_one",
        "cancel_appointment",
    ),
    triggers=(Intent.HELP, Intent.CANCEL),
)
#: How long a code keyed or said may be (shorter or longer is not an answer to "your code?").
MIN_CODE_DIGITS, MAX_CODE_DIGITS = 4, 8
#: What the patient is expected to answer, by the type of the slot the pending step collects.
_EXPECTS = {
    "when": Expect.WHEN,
    "choice": Expect.PICK,
    "yes_no": Expect.YES_NO,
    "code": Expect.CODE,
    "answer": Expect.PICK,
}


class FlowRuntimeError(Exception):
    """A flow misbehaved at run time (for example it looped without waiting)."""


@dataclass(frozen=True)
class AskedAside:
    """A question put to the patient outside the conversation (a reminder text): the flow whose first step collects
    its answer, the slots that flow starts with, when it was asked and in which language."""

    flow: str
    slots: Mapping[str, Any]
    asked_at: datetime
    language: str


@dataclass(frozen=True)
class TurnContext:
    """Who is talking to which clinic, through which channel, and when; what was asked of them aside, if anything
    still awaits their answer."""

    clinic: ClinicConfig
    patient: str
    channel: str
    now: datetime
    asked_aside: AskedAside | None = None

    @property
    def today(self) -> date:
        """The clinic's local date."""
        return self.now.astimezone(self.clinic.zone).date()


def wish_of(understanding: Understanding) -> Wish:
    """The constraints a message names: when (days, part of the day, a time or a window) and whom."""
    when = understanding.when or When()
    days = (None, None) if when.ambiguous_dates else (when.first_day, when.last_day)
    return Wish(
        first_day=days[0],
        last_day=days[1],
        part_of_day=when.part_of_day,
        at=when.at,
        after=when.after,
        before=when.before,
        earliest=when.earliest,
        latest=when.latest,
        practitioner=understanding.practitioner,
        role=understanding.role,
        gender=understanding.gender,
    )


def _names_a_wish(understanding: Understanding) -> bool:
    """Whether the message says anything about the slot wanted (when or whom)."""
    wish = wish_of(understanding)
    return wish.says_when or wish.says_whom or understanding.same_practitioner


def _asks_for_someone_then(understanding: Understanding) -> bool:
    """Whether the message names both when and whom: a booking request, whatever else it asks."""
    wish = wish_of(understanding)
    return wish.says_when and wish.says_whom


def _is_a_command(understanding: Understanding) -> bool:
    """A keyword alone ("ANNULER", "cancel"), not a sentence ("annule ça, laisse faire")."""
    return len(understanding.text.split()) == 1


def _is_filled(value: Any) -> bool:
    """A collected slot holds its answer; a wish only once it says when (whom alone does not make a search)."""
    return value is not None and (not isinstance(value, Wish) or value.says_when)


@dataclass
class _Turn:
    """What one turn accumulates while the engine walks the flows."""

    conversation: Conversation
    context: TurnContext
    understanding: Understanding
    replies: list[Reply] = field(default_factory=list)
    steps_run: int = 0
    handoff: Handoff = Handoff.NONE
    events: list[TurnEvent] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.conversation.slots = _RecordedSlots(self.conversation.slots, self.events)

    def started(self, flow: str) -> None:
        """Record that `flow` started."""
        self.events.append(TurnEvent(Happening.FLOW_STARTED, flow))


class _RecordedSlots(dict[str, Any]):
    """The conversation's slots during a turn: each value set is recorded as an event of the turn."""

    def __init__(self, slots: dict[str, Any], events: list[TurnEvent]) -> None:
        super().__init__(slots)
        self._events = events

    def __setitem__(self, name: str, value: Any) -> None:
        super().__setitem__(name, value)
        recorded = value.to_json() if isinstance(value, Wish) else value
        self._events.append(TurnEvent(Happening.SLOT_SET, name, recorded))

    def update(self, *others: Any, **more: Any) -> None:  # dict.update does not go through __setitem__
        for name, value in dict(*others, **more).items():
            self[name] = value


class Engine:
    """Runs flows from a FlowBook with rasa-sdk actions."""

    def __init__(self, book: FlowBook, actions: Mapping[str, FlowAction]) -> None:
        self.book = book
        self.actions = actions

    # ----- entry point -------------------------------------------------------------------------------------
    def handle(self, conversation: Conversation, understanding: Understanding, context: TurnContext) -> BotTurn:
        """Answer one understood message; `conversation` is updated in place."""
        turn = _Turn(conversation, context, understanding)
        if self._answers_aside(conversation, understanding, context):
            self._take_up_aside(turn)
        elif conversation.stack and context.now.timestamp() - conversation.updated_at > CONVERSATION_TIMEOUT_S:
            conversation.forget_request()
            self._run_pattern(turn, "pattern_timeout")
        step = self._waiting_step(conversation)
        if step is not None:
            self._answer_pending(turn, step)
        else:
            self._start_from_message(turn)
        return self._bot_turn(turn)

    def handle_silence(self, conversation: Conversation, understanding: Understanding, context: TurnContext) -> BotTurn:
        """A caller who said nothing: ask again, twice at most; the third time, the clinic (or its hours)."""
        turn = _Turn(conversation, context, understanding)
        silences = conversation.reprompts + 1
        if silences > MAX_REPROMPTS:
            conversation.forget_request()
            self._run_pattern(turn, "pattern_cannot_handle")
            return self._bot_turn(turn)
        self._run_pattern(turn, "pattern_silence")
        step = self._waiting_step(conversation)
        if step is not None:
            turn.replies.append(self._ask(turn, step))
        else:
            self._start_flow(turn, self.book.triggers[Intent.HELP])
        conversation.reprompts = silences  # kept even where a finished flow dropped the request: they add up
        return self._bot_turn(turn)

    def _bot_turn(self, turn: _Turn) -> BotTurn:
        """The turn's answer; a `handoff` an action or a flow set is the channel's to act on."""
        conversation = turn.conversation
        conversation.slots = dict(conversation.slots)  # recorded for this turn only
        events = tuple(turn.events)
        return BotTurn(turn.replies, self._expects(conversation), turn.handoff, conversation.language, events)

    def say(
        self, conversation: Conversation, context: TurnContext, response: str, extra: Mapping[str, Any] | None = None
    ) -> Reply:
        """Render one response outside any flow (safety, keywords, timeouts, fallbacks)."""
        return self._renderer(context).render(response, conversation.slots, conversation.language, extra)

    # ----- deciding what the message does ------------------------------------------------------------------
    def _answers_aside(self, conversation: Conversation, understanding: Understanding, context: TurnContext) -> bool:
        """Whether the message answers the question asked aside: it was the last thing said to the patient, or no
        question of the conversation is pending any more and the message is one of its answers (a reply days later
        still answers the latest reminder; "jeudi" then still starts a booking)."""
        asked = context.asked_aside
        if asked is None:
            return False
        if asked.asked_at.timestamp() > conversation.updated_at:
            return True
        idle = context.now.timestamp() - conversation.updated_at > CONVERSATION_TIMEOUT_S
        if not idle and self._waiting_step(conversation) is not None:
            return False
        question = self.book.flows[asked.flow].steps[0].collect
        answers = self.book.slots[question].answers if question else ()
        return _answer_said(answers, understanding) is not None

    def _take_up_aside(self, turn: _Turn) -> None:
        """Make the question asked aside the conversation's pending one, as if the bot had just asked it."""
        asked = turn.context.asked_aside
        assert asked is not None
        conversation = turn.conversation
        conversation.forget_request()
        conversation.language = turn.understanding.language or asked.language  # "oui" to an English one: French
        conversation.stack.append(Frame(asked.flow))
        turn.started(asked.flow)
        conversation.slots.update(asked.slots)
        self._volunteered(turn)  # "oui, mais pouvez-vous le mettre jeudi?": the day is kept for the move

    def _answer_pending(self, turn: _Turn, step: Step) -> None:
        assert step.collect is not None
        turn.understanding = self._read_against_offers(turn, step.collect)
        conversation, understanding = turn.conversation, turn.understanding
        if self._fill(turn, step.collect):
            conversation.reprompts = 0
            self._advance(turn)
        elif self._asks_which_one(turn, step):
            self._run_pattern(turn, "pattern_which_one")
            self._advance(turn)
        elif self._correct(turn):
            conversation.reprompts = 0
            self._run_pattern(turn, "pattern_correction")
            self._advance(turn)
        elif understanding.intent is Intent.RESTART:
            conversation.forget_request()
            self._run_pattern(turn, "pattern_restart")
        elif understanding.intent is Intent.CANCEL and _is_a_command(understanding):
            self._start_flow(turn, self.book.triggers[Intent.CANCEL])  # ANNULER, the word the bot advertises
        elif understanding.intent is Intent.NO or (
            understanding.intent is Intent.CANCEL and self._root_flow(conversation) != "cancel_appointment"
        ):
            # "non", "laisse faire" to a question that is not yes/no (that one took the no above): drop it.
            conversation.forget_request()
            self._run_pattern(turn, "pattern_cancel_flow")
        elif (flow := self._flow_for(understanding)) is not None:
            self._start_flow(turn, flow)
        else:
            self._reprompt(turn)

    def _read_against_offers(self, turn: _Turn, slot: str) -> Understanding:
        """The message as an answer to the times offered: a lone number that picks none of them is an hour ("ok 8
        with dr tremblay" after one 8:00 offered is 8:00 with her)."""
        understanding = turn.understanding
        options = turn.conversation.slots.get(self.book.slots[slot].options or "") or []
        offers_times = any("start" in option for option in options)
        picks_one = understanding.pick is not None and (
            understanding.pick == LAST_PICK or understanding.pick <= len(options)
        )
        if not offers_times or picks_one or understanding.bare_hour is None:
            return understanding
        return replace(understanding, when=replace(understanding.when or When(), at=understanding.bare_hour))

    def _asks_which_one(self, turn: _Turn, step: Step) -> bool:
        """A yes (or a reaction) to a list of several: the patient must say which one."""
        assert step.collect is not None
        definition = self.book.slots[step.collect]
        several = len(turn.conversation.slots.get(definition.options or "") or []) > 1
        just_yes = turn.understanding.intent is Intent.YES and not _names_a_wish(turn.understanding)
        return definition.type == "choice" and several and just_yes

    def _start_from_message(self, turn: _Turn) -> None:
        understanding = turn.understanding
        flow = self._flow_for(understanding)
        if flow is None and (_names_a_wish(understanding) or understanding.when and understanding.when.ambiguous_dates):
            flow = self.book.triggers.get(Intent.BOOK)
        if flow is None and understanding.intent is Intent.YES:
            flow = self.book.triggers.get(Intent.THANKS)  # "ok merci", "parfait" after an answer: acknowledged
        if flow is None:
            self._run_pattern(turn, "pattern_not_understood")
            self._start_flow(turn, self.book.triggers[Intent.HELP])
            return
        if understanding.health_concern and understanding.intent is not Intent.HEALTH_QUESTION:
            # "j'ai mal à la gorge, un rdv demain?": the booking goes ahead, with the health line beside it.
            turn.replies.append(self.say(turn.conversation, turn.context, "utter_health_note"))
        if understanding.intent is Intent.CLINIC_INFO and _asks_for_someone_then(understanding):
            # "jeudi 19h avec julie? vous êtes ouvert jusqu'à 20h?": the week's hours in a line, then the search.
            turn.replies.append(self.say(turn.conversation, turn.context, "utter_week_hours"))
            flow = self.book.triggers[Intent.BOOK]
        self._start_flow(turn, flow)

    def _flow_for(self, understanding: Understanding) -> str | None:
        return self.book.triggers.get(understanding.intent)

    def _start_flow(self, turn: _Turn, flow_id: str) -> None:
        conversation = turn.conversation
        if not self.book.flows[flow_id].interruption:
            conversation.forget_request()
            self._volunteered(turn)
        conversation.stack.append(Frame(flow_id))
        turn.started(flow_id)
        self._advance(turn)

    def _volunteered(self, turn: _Turn) -> None:
        """Slots the first message already gives ("rdv demain matin avec Dre Tremblay")."""
        understanding, slots = turn.understanding, turn.conversation.slots
        wish = wish_of(understanding)
        if wish != Wish():
            slots[WISH_SLOT] = wish
        if understanding.when and understanding.when.ambiguous_dates:
            slots["date_choices"] = self._date_choices(understanding.when)
        self._note_whom(turn)

    def _note_whom(self, turn: _Turn) -> None:
        """What the message says of whom that the wish cannot hold: a name the clinic does not have (said so at
        once, with the clinic's practitioners: never silently replaced), "the same one", "the same time"."""
        understanding, slots = turn.understanding, turn.conversation.slots
        if understanding.unknown_practitioner:
            unknown = {"unknown_practitioner": understanding.unknown_practitioner}
            turn.replies.append(self.say(turn.conversation, turn.context, "utter_unknown_practitioner", unknown))
        if understanding.same_practitioner:
            slots["same_practitioner"] = True
        if understanding.same_time:
            slots["same_time"] = True

    # ----- slot filling ---------------------------------------------------------------------------------------
    def _fill(self, turn: _Turn, slot: str) -> bool:
        """Fill the slot the pending step asks for from the message; False when the message does not fit."""
        definition = self.book.slots[slot]
        understanding, slots = turn.understanding, turn.conversation.slots
        value: Any = None
        if definition.type == "yes_no" and understanding.intent in (Intent.YES, Intent.NO):
            value = understanding.intent is Intent.YES
        elif definition.type == "choice":
            value = self._picked(slots.get(definition.options or "") or [], understanding, turn.context)
        elif definition.type == "when":
            value = self._when_answer(turn)
        elif definition.type == "answer":
            value = _answer_said(definition.answers, understanding)
        elif definition.type == "code":
            digits = "".join(character for character in understanding.text if character.isdigit())
            value = digits if MIN_CODE_DIGITS <= len(digits) <= MAX_CODE_DIGITS else None
        if value is None:
            return False
        slots[slot] = value
        return True

    def _when_answer(self, turn: _Turn) -> Wish | None:
        """The wish once the patient answered "when?": what they said amends what they had said (a whom alone is
        kept, and "when?" asked again)."""
        understanding, slots = turn.understanding, turn.conversation.slots
        current = slots.get(WISH_SLOT) or Wish()
        choices = slots.get("date_choices") or []
        if choices and understanding.pick and 1 <= understanding.pick <= len(choices):
            slots.pop("date_choices")
            return current.amended(Wish.from_json(choices[understanding.pick - 1]))
        if understanding.when and understanding.when.ambiguous_dates:
            slots["date_choices"] = self._date_choices(understanding.when)
        if not _names_a_wish(understanding):
            return None
        slots.pop("date_choices", None)
        self._note_whom(turn)
        return current.amended(wish_of(understanding))

    @staticmethod
    def _date_choices(when: When) -> list[dict[str, Any]]:
        return [
            Wish(first_day=day, last_day=day, part_of_day=when.part_of_day, at=when.at).to_json()
            for day in when.ambiguous_dates
        ]

    @staticmethod
    def _picked(options: list[dict[str, Any]], understanding: Understanding, context: TurnContext) -> str | None:
        """The id of the option picked: by number or ordinal ("2", "la deuxième", "le dernier"), by its time, day or
        practitioner alone or with words ("16h40 c'est parfait", "celui de jeudi", "the 9:20 works"), or by a
        yes when only one was offered."""
        if understanding.pick == LAST_PICK and options:
            return str(options[-1]["id"])
        if understanding.pick and 1 <= understanding.pick <= len(options):
            return str(options[understanding.pick - 1]["id"])
        if understanding.intent is Intent.YES and len(options) == 1 and not _names_a_wish(understanding):
            return str(options[0]["id"])
        described = [o for o in options if "start" in o and _describes(o, understanding, context)]
        return str(described[0]["id"]) if len(described) == 1 else None

    def _correct(self, turn: _Turn) -> bool:
        """A new value for an earlier answer ("en fait plutôt jeudi", "avec le Dr Gagnon", "pas avant 10h"): the wish
        is amended by what the message names, and the flow goes back to where the wish was used."""
        understanding, slots = turn.understanding, turn.conversation.slots
        current = slots.get(WISH_SLOT)
        if current is None or not _names_a_wish(understanding):
            return False
        amended = current.amended(wish_of(understanding))
        if amended == current and not (understanding.same_practitioner or understanding.unknown_practitioner):
            return False
        if not self._rewind_to(turn.conversation, WISH_SLOT):
            return False
        slots[WISH_SLOT] = amended
        self._note_whom(turn)
        return True

    def _rewind_to(self, conversation: Conversation, slot: str) -> bool:
        """Move the stack back to the step that collects `slot` and clear what was collected after it."""
        for depth in range(len(conversation.stack) - 1, -1, -1):
            frame = conversation.stack[depth]
            for index, step in enumerate(self.book.flows[frame.flow].steps[: frame.step + 1]):
                if step.collect == slot or (step.call and self._collects(step.call, slot)):
                    del conversation.stack[depth + 1 :]
                    frame.step = index
                    for later in self.book.flows[frame.flow].steps[index:]:
                        for cleared in self._collected_by(later):
                            if cleared != slot:
                                conversation.slots.pop(cleared, None)
                    return True
        return False

    def _collects(self, flow_id: str, slot: str) -> bool:
        return slot in {s for step in self.book.flows[flow_id].steps for s in self._collected_by(step)}

    def _collected_by(self, step: Step) -> set[str]:
        if step.collect:
            return {step.collect}
        if step.call:
            return {s for inner in self.book.flows[step.call].steps for s in self._collected_by(inner)}
        return set()

    def _reprompt(self, turn: _Turn) -> None:
        conversation = turn.conversation
        conversation.reprompts += 1
        if conversation.reprompts > MAX_REPROMPTS:
            conversation.forget_request()
            self._run_pattern(turn, "pattern_cannot_handle")
            return
        self._run_pattern(turn, "pattern_not_understood")
        self._advance(turn)

    # ----- walking the flows ---------------------------------------------------------------------------------
    def _run_pattern(self, turn: _Turn, pattern: str) -> None:
        turn.conversation.stack.append(Frame(pattern))
        turn.started(pattern)
        self._advance(turn, stop_when_depth=len(turn.conversation.stack) - 1)

    def _advance(self, turn: _Turn, stop_when_depth: int | None = None) -> None:
        """Run steps until the engine waits for the patient or the stack is empty."""
        conversation = turn.conversation
        while conversation.stack and (stop_when_depth is None or len(conversation.stack) > stop_when_depth):
            turn.steps_run += 1
            if turn.steps_run > MAX_STEPS_PER_TURN:
                conversation.forget_request()
                raise FlowRuntimeError("a flow ran too many steps without waiting for the patient")
            frame = conversation.stack[-1]
            steps = self.book.flows[frame.flow].steps
            if frame.step >= len(steps):
                turn.events.append(TurnEvent(Happening.FLOW_COMPLETED, frame.flow))
                self._end_flow(conversation)
                continue
            step = steps[frame.step]
            if step.collect is not None:
                if _is_filled(conversation.slots.get(step.collect)):
                    self._go_next(conversation, step)
                    continue
                turn.replies.append(self._ask(turn, step))
                return
            if step.call is not None:
                conversation.stack.append(Frame(step.call, called=True))
                turn.started(step.call)
                continue
            if step.link is not None:
                turn.events.append(TurnEvent(Happening.FLOW_COMPLETED, conversation.stack[-1].flow))
                conversation.stack[-1] = Frame(step.link)
                turn.started(step.link)
                continue
            if step.set_slots is not None:
                conversation.slots.update(step.set_slots)
            elif step.action is not None:
                try:
                    self._act(turn, step.action)
                except BookingUnavailable as unavailable:
                    self._booking_unavailable(conversation, unavailable)
                    continue
            self._go_next(conversation, step)
            if HANDOFF_SLOT in conversation.slots:  # taken out once its branch is chosen: it outlives the flow
                turn.handoff = Handoff(conversation.slots.pop(HANDOFF_SLOT) or Handoff.NONE)
        if not conversation.stack:
            conversation.forget_request()

    @staticmethod
    def _booking_unavailable(conversation: Conversation, unavailable: BookingUnavailable) -> None:
        """Drop the request (it cannot be done now) and explain, in the clinic's words when it gave some; what was
        dropped stays in the DROPPED_SLOT so that the pattern can offer to keep it for later."""
        slots = dict(json_slots(conversation.slots))  # a copy: the conversation's own are cleared next
        dropped = {"flow": conversation.stack[0].flow, "slots": slots} if conversation.stack else None
        conversation.forget_request()
        conversation.slots[DROPPED_SLOT] = dropped
        message = unavailable.messages.get(conversation.language)
        if message:
            conversation.slots["outage_message"] = message
        conversation.stack.append(Frame("pattern_booking_unavailable"))

    def _ask(self, turn: _Turn, step: Step) -> Reply:
        slots = turn.conversation.slots
        response = "utter_which_date" if step.collect == "when" and slots.get("date_choices") else step.ask_response
        return self._renderer(turn.context).render(response, slots, turn.conversation.language)

    def _go_next(self, conversation: Conversation, step: Step) -> None:
        frame = conversation.stack[-1]
        target = self._next_target(conversation, step)
        if target is None:
            frame.step += 1
        elif target == END:
            frame.step = len(self.book.flows[frame.flow].steps)
        else:
            frame.step = self.book.step_index(frame.flow, target)

    @staticmethod
    def _next_target(conversation: Conversation, step: Step) -> str | None:
        if step.next is None or isinstance(step.next, str):
            return step.next
        for branch in step.next:
            if branch.condition is None or branch.condition.holds(conversation.slots):
                return branch.target
        return None

    def _end_flow(self, conversation: Conversation) -> None:
        finished = conversation.stack.pop()
        if finished.called and conversation.stack:
            caller = conversation.stack[-1]
            self._go_next(conversation, self.book.flows[caller.flow].steps[caller.step])

    def _act(self, turn: _Turn, name: str) -> None:
        renderer = self._renderer(turn.context)
        conversation = turn.conversation
        if name.startswith("utter_"):
            turn.replies.append(renderer.render(name, conversation.slots, conversation.language))
            return
        check_deadline()  # actions may book or cancel: not once the patient was told the system is unavailable
        dispatcher = CollectingDispatcher()
        events = self.actions[name].run(dispatcher, self._tracker(turn), {})
        for event in events:
            if event.get("event") == "slot":
                if event["name"] == LANGUAGE_SLOT:
                    conversation.language = str(event["value"])
                elif event["name"] == WISH_SLOT:
                    conversation.slots[WISH_SLOT] = Wish.from_json(event["value"]) if event["value"] else None
                else:
                    conversation.slots[event["name"]] = event["value"]
        for message in dispatcher.messages:
            if message.get("response"):
                extra = {k: v for k, v in message.items() if k not in _RASA_MESSAGE_KEYS}
                turn.replies.append(
                    renderer.render(message["response"], conversation.slots, conversation.language, extra)
                )
            elif message.get("text"):
                turn.replies.append(Reply(text=str(message["text"])))

    def _tracker(self, turn: _Turn) -> Tracker:
        conversation, understanding, context = turn.conversation, turn.understanding, turn.context
        slots = {
            **json_slots(conversation.slots),
            CLINIC_SLOT: context.clinic.id,
            LANGUAGE_SLOT: conversation.language,
            CHANNEL_SLOT: context.channel,
            NOW_SLOT: context.now.isoformat(),
        }
        latest = {
            "text": understanding.text,
            "intent": {"name": str(understanding.intent), "confidence": 1.0},
            "entities": [],
            "metadata": {"language_switch": understanding.language_switch},
        }
        return Tracker(context.patient, slots, latest, [], False, None, {}, None)

    # ----- helpers ------------------------------------------------------------------------------------------
    def _renderer(self, context: TurnContext) -> Renderer:
        return Renderer(self.book, context.clinic, context.today, spoken=context.channel == Channel.VOICE)

    def _waiting_step(self, conversation: Conversation) -> Step | None:
        frame = conversation.active
        if frame is None:
            return None
        steps = self.book.flows[frame.flow].steps
        step = steps[frame.step] if frame.step < len(steps) else None
        return step if step is not None and step.collect is not None else None

    def _root_flow(self, conversation: Conversation) -> str | None:
        return conversation.stack[0].flow if conversation.stack else None

    def _expects(self, conversation: Conversation) -> Expect:
        step = self._waiting_step(conversation)
        if step is None or step.collect is None:
            return Expect.NOTHING
        return _EXPECTS.get(self.book.slots[step.collect].type, Expect.NOTHING)


_RASA_MESSAGE_KEYS = frozenset({"text", "buttons", "elements", "custom", "template", "response", "image", "attachment"})


def _answer_said(answers: tuple[str, ...], understanding: Understanding) -> str | None:
    """The answer the message gives, by its number ("2") or in words ("oui", "annuler", "je peux pas y aller")."""
    if understanding.pick and 1 <= understanding.pick <= len(answers):
        return answers[understanding.pick - 1]
    return str(understanding.intent) if understanding.intent in answers else None


def _describes(option: dict[str, Any], understanding: Understanding, context: TurnContext) -> bool:
    """Whether what the message says of when and whom fits this offered option, and it says something."""
    start = datetime.fromisoformat(option["start"]).astimezone(context.clinic.zone)
    when = understanding.when
    at = understanding.pick_time or (when.at if when else None)
    day = when.first_day if when and when.first_day == when.last_day else None
    named = understanding.practitioner
    if at is None and day is None and named is None:
        return False
    return (
        (at is None or start.time() == at)
        and (day is None or start.date() == day)
        and (named is None or option.get("practitioner") == named)
    )
