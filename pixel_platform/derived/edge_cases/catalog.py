"""The edge-case catalog: categories, personas, client lines and protocol moves, from YAML.

``data/categories.yaml`` holds the 25 categories, ``data/common.yaml`` the role-play styles,
shared decorations, slot pools and the therapist moves of each clinical protocol. Both are
validated on load: unknown keys, missing beats, empty pools and template slots a persona does not
define are errors that name the file and the dotted path (``categories.suicidality.client.risk.2``).
"""

from __future__ import annotations

import functools
import hashlib
import random
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

from pixel_platform.core.errors import ConfigError
from pixel_platform.curation.crisis import CATEGORIES as CRISIS_LABELS

DATA_DIR = Path(__file__).resolve().parent / "data"
BEATS = ("opening", "disclosure", "risk", "ambivalence", "planning", "closing")
REQUIRED_BEATS = ("disclosure", "risk", "planning")  # in every conversation, in this order
# Beats of a crisis protocol after which the therapist always offers a resource or safety step.
CRISIS_BEATS = ("disclosure", "risk", "ambivalence", "planning", "closing")
RISK_TIERS = ("low", "moderate", "high")
_FORMATTER = string.Formatter()


@dataclass(frozen=True)
class Style:
    name: str
    description: str
    exchanges: tuple[int, int]  # client+therapist pairs, inclusive range
    client_decoration: float
    pushback: float
    validation: float
    client_lines: tuple[int, int]
    therapist_lines: tuple[int, int]


@dataclass(frozen=True)
class Persona:
    id: str
    description: str
    slots: Mapping[str, tuple[str, ...]]  # a value is drawn once per conversation


@dataclass(frozen=True)
class Protocol:
    name: str
    crisis: bool
    resources: tuple[str, ...]
    moves: Mapping[str, tuple[str, ...]]  # beat -> therapist lines


@dataclass(frozen=True)
class Category:
    name: str
    label: str
    protocol: Protocol
    risk: str
    personas: tuple[Persona, ...]
    client: Mapping[str, tuple[str, ...]]  # beat -> client lines
    therapist: Mapping[str, tuple[str, ...]]  # beat -> protocol lines + the category's own

    @property
    def crisis(self) -> bool:
        return self.protocol.crisis


_T = TypeVar("_T")


def _lookup(table: Mapping[str, _T], name: str, what: str) -> _T:
    try:
        return table[name]
    except KeyError:
        raise ConfigError(f"unknown {what} {name!r}; known: {', '.join(table)}") from None


@dataclass(frozen=True)
class Catalog:
    version: str
    system_prompt: str
    styles: Mapping[str, Style]
    categories: Mapping[str, Category]
    client_openers: tuple[str, ...]
    client_tails: tuple[str, ...]
    client_pushback: tuple[str, ...]
    validations: tuple[str, ...]
    steady: tuple[str, ...]
    slots: Mapping[str, tuple[str, ...]]
    safety_followups: Mapping[str, tuple[str, ...]]  # crisis lexicon label -> lines
    source_hash: str  # sha256 of both files: which catalog made a record

    def category(self, name: str) -> Category:
        return _lookup(self.categories, name, "edge-case category")

    def select(self, spec: str | Iterable[str]) -> list[Category]:
        """``"all"``, a comma-separated list, or names; order kept, duplicates dropped."""
        names = spec.split(",") if isinstance(spec, str) else list(spec)
        names = [n.strip() for n in names if n.strip()]
        if not names:
            raise ConfigError("no edge-case categories given (use 'all' or a comma list)")
        if names == ["all"]:
            return list(self.categories.values())
        return [self.category(n) for n in dict.fromkeys(names)]

    def style(self, name: str) -> Style:
        return _lookup(self.styles, name, "role-play style")

    def scene(
        self, category: Category, rng: random.Random, roleplay_style: str
    ) -> tuple[Style, Persona, dict[str, str]]:
        """What every generator draws first, in this order: the style, a persona of the
        category, and a value for every slot (the persona's own pools win)."""
        style = self.style(roleplay_style)
        persona = rng.choice(category.personas)
        slots = {name: rng.choice(pool) for name, pool in self.slots.items()}
        slots.update({name: rng.choice(pool) for name, pool in persona.slots.items()})
        return style, persona, slots


# -- loading ---------------------------------------------------------------------------------------
class _Node:
    """A mapping being validated, with its file and dotted path for error messages."""

    def __init__(self, data: Any, source: str, path: str) -> None:
        self.source, self.path = source, path
        if not isinstance(data, dict):
            raise self.error("", "must be a mapping")
        self.data: dict[str, Any] = data

    def error(self, key: str, problem: str) -> ConfigError:
        where = ".".join(p for p in (self.path, key) if p) or "<top level>"
        return ConfigError(f"{self.source}: {where}: {problem}")

    def only(self, *allowed: str, required: Sequence[str] = ()) -> None:
        for key in self.data:
            if key not in allowed:
                raise self.error(str(key), f"unknown key; allowed: {', '.join(allowed)}")
        for key in required:
            if key not in self.data:
                raise self.error(key, "is required")

    def child(self, key: str) -> _Node:
        return _Node(self.data.get(key), self.source, f"{self.path}.{key}" if self.path else key)

    def text(self, key: str) -> str:
        value = self.data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, "must be a non-empty string")
        return value.strip()

    def lines(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if not isinstance(value, list) or not value:
            raise self.error(key, "must be a non-empty list of strings")
        for n, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                raise self.error(f"{key}.{n}", "must be a non-empty string")
            _fields(item, lambda problem, n=n: self.error(f"{key}.{n}", problem))
        return tuple(value)

    def fraction(self, key: str) -> float:
        value = self.data.get(key)
        if not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
            raise self.error(key, "must be a number between 0 and 1")
        return float(value)

    def int_range(self, key: str, low: int, high: int) -> tuple[int, int]:
        value = self.data.get(key)
        if (not isinstance(value, list) or len(value) != 2
                or not all(isinstance(v, int) for v in value)
                or not low <= value[0] <= value[1] <= high):
            raise self.error(key, f"must be [min, max] with {low} <= min <= max <= {high}")
        return value[0], value[1]


def _fields(template: str, error: Any) -> set[str]:
    try:
        names = {name for _, name, spec, conv in _FORMATTER.parse(template) if name is not None}
    except ValueError as exc:
        raise error(f"is not a valid template ({exc})") from None
    if "" in names or any(not n.isidentifier() for n in names):
        raise error("uses an empty or non-identifier {slot}")
    return names


def _names(template: str) -> set[str]:
    """Slot names of a template ``_Node.lines`` has already validated."""
    return {name for _, name, _, _ in _FORMATTER.parse(template) if name}


def _slot_known(name: str, slots: Mapping[str, Any]) -> bool:
    return name in slots or (name[:1].isupper() and name[:1].lower() + name[1:] in slots)


def _slot_pools(node: _Node) -> dict[str, tuple[str, ...]]:
    pools: dict[str, tuple[str, ...]] = {}
    for key, value in node.data.items():
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not values or not all(
                isinstance(v, str) and v.strip() for v in values):
            raise node.error(str(key), "must be a string or a non-empty list of strings")
        pools[str(key)] = tuple(values)
    return pools


def _protocol(node: _Node, name: str) -> Protocol:
    node.only("crisis", "resources", *BEATS, required=("crisis", "resources", *BEATS))
    if not isinstance(node.data["crisis"], bool):
        raise node.error("crisis", "must be true or false")
    return Protocol(name=name, crisis=node.data["crisis"], resources=node.lines("resources"),
                    moves={beat: node.lines(beat) for beat in BEATS})


def _category(node: _Node, name: str, protocols: Mapping[str, Protocol],
              common_slots: Mapping[str, tuple[str, ...]]) -> Category:
    node.only("label", "protocol", "risk", "personas", "client", "therapist",
              required=("label", "protocol", "risk", "personas", "client"))
    protocol_name = node.text("protocol")
    if protocol_name not in protocols:
        raise node.error("protocol", f"unknown protocol {protocol_name!r}; known: "
                                     f"{', '.join(protocols)}")
    protocol = protocols[protocol_name]
    risk = node.text("risk")
    if risk not in RISK_TIERS:
        raise node.error("risk", f"must be one of {', '.join(RISK_TIERS)}")
    raw_personas = node.data["personas"]
    if not isinstance(raw_personas, list) or not raw_personas:
        raise node.error("personas", "must be a non-empty list")
    personas = []
    for n, raw in enumerate(raw_personas):
        pnode = _Node(raw, node.source, f"{node.path}.personas.{n}")
        pnode.only("id", "description", "slots", required=("id", "description", "slots"))
        personas.append(Persona(pnode.text("id"), pnode.text("description"),
                                _slot_pools(pnode.child("slots"))))
    client_node = node.child("client")
    client_node.only(*BEATS, required=BEATS)
    client = {beat: client_node.lines(beat) for beat in BEATS}
    own: dict[str, tuple[str, ...]] = {}
    if "therapist" in node.data:
        tnode = node.child("therapist")
        tnode.only(*BEATS)
        own = {beat: tnode.lines(beat) for beat in tnode.data}
    therapist = {beat: protocol.moves[beat] + own.get(beat, ()) for beat in BEATS}
    # Every slot a line of this category can use must be defined for every persona.
    templates: list[tuple[str, str]] = [
        (f"client.{beat}", line) for beat, pool in client.items() for line in pool]
    templates += [(f"therapist.{beat} (protocol {protocol.name} or own)", line)
                  for beat, pool in therapist.items() for line in pool]
    templates += [(f"protocol {protocol.name} resources", line) for line in protocol.resources]
    for persona in personas:
        available = {**common_slots, **persona.slots}
        for where, line in templates:
            for slot in _names(line):
                if not _slot_known(slot, available):
                    raise node.error(where, f"line uses {{{slot}}}, which persona "
                                            f"{persona.id!r} does not define: {line!r}")
    return Category(name=name, label=node.text("label"), protocol=protocol, risk=risk,
                    personas=tuple(personas), client=client, therapist=therapist)


def _read_yaml(path: Path) -> tuple[Any, bytes]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the edge-case catalog file {path}: {exc}") from None
    try:
        return yaml.safe_load(raw), raw
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None


def load_catalog(categories_path: str | Path | None = None,
                 common_path: str | Path | None = None) -> Catalog:
    """Load and validate a catalog (the bundled one by default, cached per process)."""
    return _load(str(categories_path or DATA_DIR / "categories.yaml"),
                 str(common_path or DATA_DIR / "common.yaml"))


@functools.lru_cache(maxsize=4)
def _load(categories_path: str, common_path: str) -> Catalog:
    common_data, common_raw = _read_yaml(Path(common_path))
    cats_data, cats_raw = _read_yaml(Path(categories_path))
    common = _Node(common_data, common_path, "")
    sections = ("version", "system_prompt", "styles", "client", "therapist", "slots",
                "safety_followups", "protocols")
    common.only(*sections, required=sections)
    styles = {}
    for name in common.child("styles").data:
        snode = common.child("styles").child(str(name))
        fields = ("description", "exchanges", "client_decoration", "pushback", "validation",
                  "client_lines", "therapist_lines")
        snode.only(*fields, required=fields)
        styles[str(name)] = Style(
            name=str(name), description=snode.text("description"),
            exchanges=snode.int_range("exchanges", 3, 6),
            client_decoration=snode.fraction("client_decoration"),
            pushback=snode.fraction("pushback"), validation=snode.fraction("validation"),
            client_lines=snode.int_range("client_lines", 1, 3),
            therapist_lines=snode.int_range("therapist_lines", 1, 3))
    client = common.child("client")
    client.only("openers", "tails", "pushback", required=("openers", "tails", "pushback"))
    therapist = common.child("therapist")
    therapist.only("validations", "steady", required=("validations", "steady"))
    slots = _slot_pools(common.child("slots"))
    followups = common.child("safety_followups")
    followups.only(*CRISIS_LABELS, required=CRISIS_LABELS)
    for label in CRISIS_LABELS:  # added to any category's reply: common slots only
        for n, line in enumerate(followups.lines(label)):
            for slot in _names(line):
                if not _slot_known(slot, slots):
                    raise followups.error(f"{label}.{n}", f"uses {{{slot}}}, not a common slot")
    protocols_node = common.child("protocols")
    protocols = {str(name): _protocol(protocols_node.child(str(name)), str(name))
                 for name in protocols_node.data}

    top = _Node(cats_data, categories_path, "")
    top.only("version", "categories", required=("version", "categories"))
    cats_node = top.child("categories")
    categories = {str(name): _category(cats_node.child(str(name)), str(name), protocols, slots)
                  for name in cats_node.data}
    if not categories:
        raise top.error("categories", "must define at least one category")
    digest = hashlib.sha256(common_raw + b"\0" + cats_raw).hexdigest()
    return Catalog(
        version=f"{common.text('version')}/{top.text('version')}",
        system_prompt=common.text("system_prompt"),
        styles=styles,
        categories=categories,
        client_openers=client.lines("openers"),
        client_tails=client.lines("tails"),
        client_pushback=client.lines("pushback"),
        validations=therapist.lines("validations"),
        steady=therapist.lines("steady"),
        slots=slots,
        safety_followups={label: followups.lines(label) for label in CRISIS_LABELS},
        source_hash="sha256:" + digest,
    )


def fill(template: str, slots: Mapping[str, str]) -> str:
    """Fill ``{slot}`` names; ``{Slot}`` is the value of ``slot`` with its first letter upper."""
    return _SlotFormatter().vformat(template, (), slots)


class _SlotFormatter(string.Formatter):
    def get_value(self, key: int | str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        if isinstance(key, str) and key not in kwargs and key[:1].isupper():
            value = str(kwargs[key[:1].lower() + key[1:]])
            return value[:1].upper() + value[1:]
        return super().get_value(key, args, kwargs)
