"""Flows, slots and responses read from YAML and checked as a whole at start-up.

Every reference (step ids, slots, responses, actions, called flows, intents) is resolved here, and so is every
name that Python code uses (`CodeNames`), so a typo in a flow file stops the process with the file, flow and step
named instead of surfacing in a conversation.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.engine.conditions import Condition

END = "END"
M = TypeVar("M", bound=BaseModel)
SlotType = Literal["when", "choice", "yes_no", "code", "answer", "data"]
PLACEHOLDERS = frozenset(
    {
        "clinic_name",
        "clinic_phone",
        "clinic_address",
        "when_label",
        "slot_label",
        "practitioner",
        "appointment_label",
        "closes_at",
        "opens_at",
        "outage_message",
        "practitioners",
        "unknown_practitioner",
        "unfree_day",
        "holiday",
        "opens_on",
        "seeing_hours",
        "week_hours",
        "walk_in",
    }
)
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


class FlowError(Exception):
    """The flow files are inconsistent; the message names the file, flow and step."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Branch(_Strict):
    """One arm of a `next` list: `if: <condition>, then: <step id | END>` or `else: <step id | END>`."""

    condition: Condition | None = Field(default=None, alias="if")
    then: str | None = None
    otherwise: str | None = Field(default=None, alias="else")

    @field_validator("condition", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        return Condition.parse(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _shape(self) -> Branch:
        if (self.condition is None) == (self.otherwise is None) or (self.condition is not None) != bool(self.then):
            raise ValueError('each branch is either "if: ... then: ..." or "else: ..."')
        return self

    @property
    def target(self) -> str:
        """The step id (or END) this branch leads to."""
        return self.then or self.otherwise or END


class Step(_Strict):
    """One step: exactly one of collect / action / call / link / set_slots, an optional id and next."""

    id: str | None = None
    collect: str | None = None
    ask: str | None = None
    action: str | None = None
    call: str | None = None
    link: str | None = None
    set_slots: dict[str, Any] | None = None
    next: str | list[Branch] | None = None

    @field_validator("next", mode="before")
    @classmethod
    def _branches(cls, value: Any) -> Any:
        """Validate a list of branches here so that a bad condition is reported as such, not as "not a string"."""
        if not isinstance(value, list):
            return value
        branches = []
        for number, raw in enumerate(value, start=1):
            try:
                branches.append(Branch.model_validate(raw))
            except ValidationError as error:
                problem = error.errors(include_url=False)[0]["msg"].removeprefix("Value error, ")
                raise ValueError(f"branch {number}: {problem}") from None
        return branches

    @model_validator(mode="after")
    def _one_kind(self) -> Step:
        kinds = [k for k in ("collect", "action", "call", "link", "set_slots") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("a step has exactly one of collect, action, call, link, set_slots")
        if self.ask is not None and self.collect is None:
            raise ValueError("ask belongs to a collect step")
        return self

    @property
    def kind(self) -> str:
        """collect, action, call, link or set_slots."""
        return next(k for k in ("collect", "action", "call", "link", "set_slots") if getattr(self, k) is not None)

    @property
    def ask_response(self) -> str:
        """The response that asks for a collected slot (utter_ask_<slot> unless given)."""
        return self.ask or f"utter_ask_{self.collect}"


class Flow(_Strict):
    """A flow: a description, what starts it, and its steps."""

    description: str = Field(min_length=10)
    nlu_trigger: list[str] = Field(default_factory=list)
    interruption: bool = False
    steps: list[Step] = Field(min_length=1)


class SlotDefinition(_Strict):
    """A slot: its type decides how a patient's message can fill it."""

    type: SlotType
    options: str | None = None  # for a choice: the data slot holding what was offered
    #: For an answer: the intents that answer the question, in the order of the numbers that say them too (1, 2…).
    answers: tuple[str, ...] = ()
    description: str = ""

    @model_validator(mode="after")
    def _choice_has_options(self) -> SlotDefinition:
        if (self.type == "choice") != (self.options is not None):
            raise ValueError("a choice slot, and only a choice slot, names its options slot")
        if (self.type == "answer") != bool(self.answers):
            raise ValueError("an answer slot, and only an answer slot, lists its answers")
        return self


class ResponseVariant(_Strict):
    """A response text in French and English, optionally conditional, optionally followed by numbered options.

    `voice_fr`/`voice_en` are what the phone says instead, where the text's wording only fits a text message
    ("Répondez OUI ou NON"); without them the phone says the text.
    """

    condition: Condition | None = Field(default=None, alias="if")
    fr: str = Field(min_length=1)
    en: str = Field(min_length=1)
    voice_fr: str | None = Field(default=None, min_length=1)
    voice_en: str | None = Field(default=None, min_length=1)
    options: str | None = None

    @model_validator(mode="after")
    def _both_spoken_or_none(self) -> ResponseVariant:
        if (self.voice_fr is None) != (self.voice_en is None):
            raise ValueError("voice_fr and voice_en go together")
        return self

    def text(self, language: str, *, spoken: bool) -> str:
        """The wording in `language`, as said on the phone when `spoken`."""
        if spoken and self.voice_fr is not None and self.voice_en is not None:
            return self.voice_en if language == "en" else self.voice_fr
        return self.en if language == "en" else self.fr

    @field_validator("condition", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        return Condition.parse(value) if isinstance(value, str) else value


@dataclass(frozen=True)
class FlowBook:
    """All flows, slots and responses, validated together."""

    flows: dict[str, Flow]
    slots: dict[str, SlotDefinition]
    responses: dict[str, list[ResponseVariant]]
    triggers: dict[str, str] = field(default_factory=dict)  # intent -> flow id

    def step_index(self, flow_id: str, step_id: str) -> int:
        """Position of the step with this id in the flow."""
        return next(i for i, step in enumerate(self.flows[flow_id].steps) if step.id == step_id)


@dataclass(frozen=True)
class CodeNames:
    """The names of the flow files that one Python module refers to, checked when the flows load."""

    module: str  # the module that refers to them (its __name__)
    responses: Collection[str] = ()
    #: Flows and patterns the code starts, or looks for in a conversation.
    flows: Collection[str] = ()
    #: (flow, step id) pairs the code moves a conversation to.
    steps: Collection[tuple[str, str]] = ()
    #: (flow, called flow) pairs: the code relies on a `call` step of the first flow calling the second.
    calls: Collection[tuple[str, str]] = ()
    #: Intents the code relies on starting a flow.
    triggers: Collection[str] = ()

    @property
    def every_flow(self) -> list[str]:
        """Each flow these names refer to, once: those started, and those whose steps are relied on."""
        named = [*self.flows, *(flow for flow, _ in self.steps), *(flow for pair in self.calls for flow in pair)]
        return list(dict.fromkeys(named))

    def problems(self, book: FlowBook) -> Iterable[str]:
        """What the flow files lack of these names, each as a flow error reads ("<file>: ...")."""
        where = self.module.replace(".", "/") + ".py"
        for response in self.responses:
            if response not in book.responses:
                yield f'{where}: unknown response "{response}"'
        for flow in dict.fromkeys(
            [*self.flows, *(f for f, _ in self.steps), *(f for pair in self.calls for f in pair)]
        ):
            if flow not in book.flows:
                yield f'{where}: unknown flow "{flow}"'
        for flow, step in self.steps:
            if flow in book.flows and all(s.id != step for s in book.flows[flow].steps):
                yield f'{where}: flow {flow}: no step with id "{step}"'
        for flow, called in self.calls:
            if flow in book.flows and all(s.call != called for s in book.flows[flow].steps):
                yield f'{where}: flow {flow}: no step calls flow "{called}"'
        for intent in self.triggers:
            if intent not in book.triggers:
                yield f'{where}: no flow is started by intent "{intent}"'


def _files(directory: Path | None) -> list[tuple[str, str]]:
    if directory is not None:
        return [(str(path), path.read_text(encoding="utf-8")) for path in sorted(directory.glob("*.yml"))]
    package = resources.files("flows")
    return sorted(
        (f"flows/{entry.name}", entry.read_text(encoding="utf-8"))
        for entry in package.iterdir()
        if entry.name.endswith(".yml")
    )


def load_flow_book(
    actions: Collection[str],
    intents: Collection[str],
    directory: Path | None = None,
    *,
    used_by_code: Iterable[CodeNames] = (),
) -> FlowBook:
    """Read every YAML file of the flows package (or `directory`) and check all references.

    `actions` are the names of registered custom actions, `intents` the names the NLU can produce, `used_by_code`
    the names Python modules refer to. Raises `FlowError` naming the file, flow and step of the first problem.
    """
    flows: dict[str, tuple[str, Flow]] = {}
    slots: dict[str, SlotDefinition] = {}
    responses: dict[str, list[ResponseVariant]] = {}
    response_files: dict[str, str] = {}
    for filename, text in _files(directory):
        try:
            document = yaml.safe_load(text) or {}
        except yaml.YAMLError as error:
            raise FlowError(f"{filename}: not valid YAML ({error})") from None
        for section in document:
            if section not in ("flows", "slots", "responses"):
                raise FlowError(f'{filename}: unknown section "{section}" (flows, slots, responses)')
        _read_section(filename, document.get("slots") or {}, SlotDefinition, slots, "slot")
        for name, value in (document.get("responses") or {}).items():
            variants = value if isinstance(value, list) else [value]
            responses[name] = [_validated(filename, f"response {name}", ResponseVariant, v) for v in variants]
            response_files[name] = filename
        for flow_id, value in (document.get("flows") or {}).items():
            if flow_id in flows:
                raise FlowError(f"{filename}: flow {flow_id} is also defined in {flows[flow_id][0]}")
            flows[flow_id] = (filename, _validated(filename, f"flow {flow_id}", Flow, value))
    book = FlowBook({k: f for k, (_, f) in flows.items()}, slots, responses)
    for name, definition in slots.items():
        if definition.options is not None and getattr(slots.get(definition.options), "type", None) != "data":
            raise FlowError(f'flows/domain.yml: slot {name}: options slot "{definition.options}" is not a data slot')
        for answer in definition.answers:
            if answer not in intents:
                raise FlowError(f'flows/domain.yml: slot {name}: unknown intent "{answer}" in answers')
    for flow_id, (filename, flow) in flows.items():
        _check_flow(book, filename, flow_id, flow, set(actions))
        for intent in flow.nlu_trigger:
            if intent not in intents:
                raise FlowError(f'{filename}: flow {flow_id}: unknown intent "{intent}" in nlu_trigger')
            if intent in book.triggers:
                raise FlowError(f"{filename}: flow {flow_id}: intent {intent} already starts {book.triggers[intent]}")
            book.triggers[intent] = flow_id
    for name, variants in responses.items():
        _check_response(book, response_files[name], name, variants)
    for names in used_by_code:
        for problem in names.problems(book):
            raise FlowError(problem)
    return book


def _read_section(
    filename: str, raw: dict[str, Any], model: type[SlotDefinition], into: dict[str, SlotDefinition], label: str
) -> None:
    for name, value in raw.items():
        into[name] = _validated(filename, f"{label} {name}", model, value)


def _validated(filename: str, where: str, model: type[M], value: Any) -> M:
    try:
        return model.model_validate(value)
    except ValidationError as error:
        problem = error.errors(include_url=False)[0]
        place = ".".join(str(part) for part in problem["loc"])
        at = f" at {_describe_location(place, value)}" if place else ""
        raise FlowError(f"{filename}: {where}{at}: {problem['msg'].removeprefix('Value error, ')}") from None


def _describe_location(place: str, value: Any) -> str:
    """'steps.2.next' -> 'step 3 (id confirm) next' so that an author finds it at once."""
    parts = place.split(".")
    if len(parts) >= 2 and parts[0] == "steps" and parts[1].isdigit():
        index = int(parts[1])
        steps = value.get("steps") if isinstance(value, dict) else None
        step_id = steps[index].get("id") if isinstance(steps, list) and isinstance(steps[index], dict) else None
        label = f"step {index + 1}" + (f" (id {step_id})" if step_id else "")
        return " ".join([label, *parts[2:]])
    return place


def _check_flow(book: FlowBook, filename: str, flow_id: str, flow: Flow, actions: set[str]) -> None:
    ids = [step.id for step in flow.steps if step.id]
    if len(ids) != len(set(ids)):
        raise FlowError(f"{filename}: flow {flow_id}: two steps share an id")
    for index, step in enumerate(flow.steps):
        where = f"{filename}: flow {flow_id}, step {index + 1}" + (f" (id {step.id})" if step.id else "")
        for problem in _step_problems(book, step, set(ids), actions):
            raise FlowError(f"{where}: {problem}")


def _step_problems(book: FlowBook, step: Step, ids: set[str], actions: set[str]) -> Iterable[str]:
    if step.collect is not None:
        definition = book.slots.get(step.collect)
        if definition is None:
            yield f'unknown slot "{step.collect}"'
        elif definition.type == "data":
            yield f'slot "{step.collect}" is set by actions and cannot be collected'
        if step.ask_response not in book.responses:
            yield f'unknown response "{step.ask_response}"'
    if step.action is not None:
        if step.action.startswith("utter_") and step.action not in book.responses:
            yield f'unknown response "{step.action}"'
        elif not step.action.startswith("utter_") and step.action not in actions:
            yield f'unknown action "{step.action}"'
    for target in (step.call, step.link):
        if target is not None and target not in book.flows:
            yield f'unknown flow "{target}"'
    for slot in step.set_slots or {}:
        if slot not in book.slots:
            yield f'unknown slot "{slot}" in set_slots'
    branches = step.next if isinstance(step.next, list) else []
    targets = [step.next] if isinstance(step.next, str) else [b.target for b in branches]
    for target in targets:
        if target != END and target not in ids:
            yield f'next goes to unknown step "{target}"'
    for branch in branches:
        if branch.condition and branch.condition.slot not in book.slots:
            yield f'condition on unknown slot "{branch.condition.slot}"'
    if branches and branches[-1].otherwise is None:
        yield 'a next list must end with "else"'


def _check_response(book: FlowBook, filename: str, name: str, variants: list[ResponseVariant]) -> None:
    for variant in variants:
        for text in (variant.fr, variant.en, variant.voice_fr or "", variant.voice_en or ""):
            unknown = set(_PLACEHOLDER.findall(text)) - PLACEHOLDERS
            if unknown:
                raise FlowError(f"{filename}: response {name}: unknown placeholder {{{sorted(unknown)[0]}}}")
        if variant.options is not None and variant.options not in book.slots:
            raise FlowError(f'{filename}: response {name}: options from unknown slot "{variant.options}"')
        if variant.condition and variant.condition.slot not in book.slots:
            raise FlowError(f'{filename}: response {name}: condition on unknown slot "{variant.condition.slot}"')
