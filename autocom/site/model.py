"""site.yaml as frozen models: users with several devices, hunt groups, contexts.

Contexts follow XiVO: an internal context per organisation unit holds number
ranges for users, groups and conferences and may include other contexts; an
incoming context maps DIDs; an outgoing context has the external line prefix
and the trunks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from pydantic import Field, field_validator, model_validator

from autocom.config.model import RuleModel

EXTENSION_RE = re.compile(r"^[0-9*#]{1,20}$")
DEVICE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


@dataclass(frozen=True, order=True)
class NumberRange:
    """An inclusive range of numbers of one length, written '2001-2090' or '2001'."""

    start: str
    end: str

    @classmethod
    def parse(cls, text: str) -> NumberRange:
        parts = text.replace(" ", "").split("-")
        if len(parts) == 1:
            parts = [parts[0], parts[0]]
        if len(parts) != 2 or not all(p.isdigit() for p in parts):
            raise ValueError(f"range {text!r}: write digits like '2001-2090' or one number")
        start, end = parts
        if len(start) != len(end):
            raise ValueError(f"range {text!r}: both ends must have as many digits")
        if int(start) > int(end):
            raise ValueError(f"range {text!r}: the start is after the end")
        return cls(start, end)

    def __contains__(self, number: object) -> bool:
        return (
            isinstance(number, str)
            and number.isdigit()
            and len(number) == len(self.start)
            and int(self.start) <= int(number) <= int(self.end)
        )

    def overlaps(self, other: NumberRange) -> bool:
        return (
            len(self.start) == len(other.start)
            and int(self.start) <= int(other.end)
            and int(other.start) <= int(self.end)
        )

    def __str__(self) -> str:
        return self.start if self.start == self.end else f"{self.start}-{self.end}"


def _ranges(value: object) -> list[NumberRange]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, NumberRange):
            out.append(item)
        elif isinstance(item, str):
            out.append(NumberRange.parse(item))
        else:
            raise ValueError("a range is written '2001-2090'")
    return out


def _extension(value: str) -> str:
    if not EXTENSION_RE.match(value):
        raise ValueError(f"extension {value!r}: write digits (and * or #), up to 20")
    return value


def _dialed_number(value: str | None) -> str | None:
    """An external number as a phone dials it (line prefix included), or None."""
    if value is not None and not (value.isdigit() and len(value) <= 20):
        raise ValueError(f"number {value!r}: write the digits dialed, line prefix included")
    return value


def _exactly_one(model: RuleModel, keys: tuple[str, ...]) -> None:
    """The model's validator: exactly one of ``keys`` is given."""
    given = [k for k in keys if getattr(model, k) is not None]
    if len(given) != 1:
        raise ValueError(
            f"write exactly one of {', '.join(keys)}"
            + (f" (found {', '.join(given)})" if given else "")
        )


def line_prefix_needed(site: Site) -> tuple[str, str]:
    """The error (message, hint) of a rule file that must name its line prefix."""
    return (
        "the site's outgoing contexts use different line prefixes "
        f"({', '.join(site.line_prefixes())})",
        "write 'line_prefix: \"0\"' in this file",
    )


class User(RuleModel):
    extension: str
    name: str  # family name
    first_name: str = ""
    context: str
    devices: tuple[str, ...] = ()  # PJSIP endpoint names; each one rings
    voicemail: str | None = None  # mailbox, e.g. "2001" (context default)
    department: str = ""
    cost_center: str = ""  # for call accounting reports (apps/accounting)
    email: str = ""
    mobile: str = ""
    title: str = ""  # job title (directory)
    manager: str = ""  # the manager's extension (filled by `autocom site sync` from LDAP)
    uid: str = ""  # the person's id in the HR directory: the directory may merge on it
    language: str = "fr"

    @field_validator("extension")
    @classmethod
    def _ext(cls, v: str) -> str:
        return _extension(v)

    @field_validator("devices")
    @classmethod
    def _devs(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for dev in v:
            if not DEVICE_RE.match(dev):
                raise ValueError(f"device {dev!r}: letters, digits, '_', '.', '-' only")
        if len(set(v)) != len(v):
            raise ValueError("a device is listed twice")
        return v

    @property
    def display_name(self) -> str:
        return f"{self.name} {self.first_name}".strip()


MAILBOX_RE = re.compile(r"^[0-9A-Za-z_-]{1,40}(@[A-Za-z0-9_-]{1,40})?$")
OverflowKind = Literal["extension", "number", "voicemail"]


class Overflow(RuleModel):
    """Where a hunt group's call goes when no member answered: exactly one key."""

    extension: str | None = None  # a user or group of the site, rung in its own context
    number: str | None = None  # an external number as dialed, line prefix included
    voicemail: str | None = None  # a mailbox, "2900" (context default) or "2900@ctx"

    @field_validator("extension")
    @classmethod
    def _ext(cls, v: str | None) -> str | None:
        return None if v is None else _extension(v)

    @field_validator("number")
    @classmethod
    def _number(cls, v: str | None) -> str | None:
        return _dialed_number(v)

    @field_validator("voicemail")
    @classmethod
    def _box(cls, v: str | None) -> str | None:
        if v is not None and not MAILBOX_RE.match(v):
            raise ValueError(f"mailbox {v!r}: write a box like '2900' or '2900@context'")
        return v

    @model_validator(mode="after")
    def _one(self) -> Overflow:
        _exactly_one(self, ("extension", "number", "voicemail"))
        return self

    @property
    def kind(self) -> OverflowKind:
        if self.extension is not None:
            return "extension"
        return "number" if self.number is not None else "voicemail"

    @property
    def target(self) -> str:
        """The extension, number or mailbox."""
        return self.extension or self.number or self.voicemail or ""

    def __str__(self) -> str:
        return f"{self.kind} {self.target}"


class Group(RuleModel):
    """A hunt group: members are user extensions."""

    extension: str
    name: str
    context: str
    members: tuple[str, ...] = ()
    strategy: Literal["ringall", "linear"] = "ringall"
    ring_time: int = Field(default=20, ge=1, le=600)  # seconds, per member when linear
    overflow: Overflow | None = None  # when no member answered (or none could ring)

    @field_validator("extension")
    @classmethod
    def _ext(cls, v: str) -> str:
        return _extension(v)

    @field_validator("overflow", mode="before")
    @classmethod
    def _overflow_mapping(cls, v: object) -> object:
        if isinstance(v, str):
            raise ValueError(
                f"overflow {v!r}: write {{extension: {v!r}}} (a user or group), "
                f"{{number: {v!r}}} (an external number) or {{voicemail: {v!r}}}"
            )
        return v


# Alcatel OXE: a main set and up to 4 secondary sets.
MAX_SECONDARIES = 4
# A tandem leg as a "ring item" beside the devices: "+2001_1" is the first secondary
# of 2001's tandem, dialed Local/2001_1@autocom-site-tandem ('+' is in no device name).
LEG_MARK = "+"
SecondaryKind = Literal["device", "user", "number"]


class Secondary(RuleModel):
    """One secondary set of a tandem: exactly one of device, user, number."""

    device: str | None = None  # a numberless set: ATA, DECT, softphone (a PJSIP endpoint)
    user: str | None = None  # a set that keeps its own number: that user's devices ring
    number: str | None = None  # an external number (mobile), as dialed, line prefix included
    delay: int = Field(default=0, ge=0, le=60)  # seconds after the main set starts ringing
    # outgoing calls of a device/user secondary: the main user's rights and caller ID
    # (main), or its own (own); default: main for a device, own for a user
    outgoing: Literal["main", "own"] | None = None

    @field_validator("device")
    @classmethod
    def _dev(cls, v: str | None) -> str | None:
        if v is not None and not DEVICE_RE.match(v):
            raise ValueError(f"device {v!r}: letters, digits, '_', '.', '-' only")
        return v

    @field_validator("user")
    @classmethod
    def _user(cls, v: str | None) -> str | None:
        return None if v is None else _extension(v)

    @field_validator("number")
    @classmethod
    def _number(cls, v: str | None) -> str | None:
        return _dialed_number(v)

    @model_validator(mode="after")
    def _one(self) -> Secondary:
        _exactly_one(self, ("device", "user", "number"))
        if self.number is not None and self.outgoing is not None:
            raise ValueError("outgoing: is for a device or user secondary, not a number")
        return self

    @property
    def kind(self) -> SecondaryKind:
        if self.device is not None:
            return "device"
        return "user" if self.user is not None else "number"

    @property
    def target(self) -> str:
        return self.device or self.user or self.number or ""

    @property
    def calls_as_main(self) -> bool:
        """Its outgoing calls use the main user's rights and caller ID."""
        if self.outgoing is not None:
            return self.outgoing == "main"
        return self.kind == "device"

    def __str__(self) -> str:
        return f"{self.kind} {self.target}"


class Tandem(RuleModel):
    """A main user's number rings the main set and up to MAX_SECONDARIES secondaries."""

    main: str  # the main user's extension: its devices are the main set
    secondaries: tuple[Secondary, ...]
    # the main set is busy (in a call: DEVICE_STATE): the secondaries ring anyway
    # (ring) or stay quiet (skip)
    when_main_busy: Literal["ring", "skip"] = "ring"
    # what an external secondary shows: the caller's number, or a DID of the site
    mobile_caller_id: str = "caller"

    @field_validator("main")
    @classmethod
    def _main(cls, v: str) -> str:
        return _extension(v)

    @field_validator("mobile_caller_id")
    @classmethod
    def _shown(cls, v: str) -> str:
        if v != "caller" and not (v.isdigit() and len(v) <= 20):
            raise ValueError(f"mobile_caller_id {v!r}: write caller, or a DID of the site")
        return v

    def leg(self, index: int) -> str:
        """The extension of secondary ``index`` (0-based) in autocom-site-tandem."""
        return f"{self.main}_{index + 1}"


class Did(RuleModel):
    number: str  # the DID as the trunk sends it
    destination: str  # an extension
    # where the destination is dialed; default: the context of the user or group
    # whose extension it is (set it for an extension served by a feature, e.g. an IVR)
    context: str | None = None


# French emergency numbers (SAMU, police, pompiers, 112, sourds, enfance en danger,
# SAMU social, aéronautique, sauvetage en mer, attentats), routed before any hook.
DEFAULT_EMERGENCY = ("15", "17", "18", "112", "114", "115", "116000", "119", "191", "196", "197")


class Context(RuleModel):
    name: str
    kind: Literal["internal", "incoming", "outgoing"] = "internal"
    users: list[NumberRange] = []
    groups: list[NumberRange] = []
    conferences: list[NumberRange] = []
    include: tuple[str, ...] = ()
    dids: tuple[Did, ...] = ()
    line_prefix: str = ""  # outgoing: the digit(s) that take an outside line, e.g. "0"
    trunks: tuple[str, ...] = ()  # outgoing: PJSIP trunk endpoints, tried in order
    # outgoing: numbers dialed straight to the trunks, with or without the prefix
    emergency: tuple[str, ...] = DEFAULT_EMERGENCY

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not NAME_RE.match(v):
            raise ValueError(f"context name {v!r}: letters, digits, '_' and '-' only")
        return v

    @field_validator("users", "groups", "conferences", mode="before")
    @classmethod
    def _parse_ranges(cls, v: object) -> list[NumberRange]:
        return _ranges(v)

    def ranges(self) -> dict[str, list[NumberRange]]:
        """internal: the number ranges by what they number (users, groups, conferences)."""
        return {"users": self.users, "groups": self.groups, "conferences": self.conferences}

    @property
    def outside_pattern(self) -> str:
        """outgoing: the extension pattern of external numbers, e.g. ``_0X.``."""
        return f"_{self.line_prefix}X."

    def emergency_dialed(self) -> list[tuple[str, str]]:
        """outgoing: (emergency number, digits dialed) for each number, as is and
        after the line prefix."""
        out = []
        for number in self.emergency:
            out.append((number, number))
            if self.line_prefix:
                out.append((number, self.line_prefix + number))
        return out


class Site(RuleModel):
    """The whole site.yaml."""

    name: str = "site"
    contexts: tuple[Context, ...] = ()
    users: tuple[User, ...] = ()
    groups: tuple[Group, ...] = ()
    tandems: tuple[Tandem, ...] = ()

    @model_validator(mode="after")
    def _contexts_known(self) -> Site:
        known = {c.name for c in self.contexts}
        items: list[User | Group] = [*self.users, *self.groups]
        for item in items:
            if item.context not in known:
                raise ValueError(
                    f"{item.extension}: context {item.context!r} is not declared under contexts"
                )
        return self

    @cached_property
    def _users(self) -> dict[str, User]:
        return {u.extension: u for u in self.users}

    @cached_property
    def _groups(self) -> dict[str, Group]:
        return {g.extension: g for g in self.groups}

    @cached_property
    def _device_owner(self) -> dict[str, User]:
        owners = {d: u for u in self.users for d in u.devices}
        for tandem in self.tandems:  # a numberless secondary set belongs to the main user
            main = self._users.get(tandem.main)
            for sec in tandem.secondaries:
                if main is not None and sec.device is not None:
                    owners.setdefault(sec.device, main)
        return owners

    @cached_property
    def _tandems(self) -> dict[str, Tandem]:
        return {t.main: t for t in self.tandems}

    def tandem(self, main: str) -> Tandem | None:
        """The tandem whose main user is ``main``."""
        return self._tandems.get(main)

    def ring_items(self, user: User) -> tuple[str, ...]:
        """What rings on a call to ``user``: its devices, then its tandem's legs
        (LEG_MARK + leg extension, dialed through autocom-site-tandem)."""
        tandem = self.tandem(user.extension)
        if tandem is None:
            return user.devices
        legs = tuple(LEG_MARK + tandem.leg(i) for i in range(len(tandem.secondaries)))
        return user.devices + legs

    @cached_property
    def _contexts(self) -> dict[str, Context]:
        return {c.name: c for c in self.contexts}

    def user(self, extension: str) -> User | None:
        return self._users.get(extension)

    def group(self, extension: str) -> Group | None:
        return self._groups.get(extension)

    def context(self, name: str) -> Context | None:
        return self._contexts.get(name)

    def owner_of_device(self, device: str) -> User | None:
        return self._device_owner.get(device)

    def user_or_group(self, extension: str) -> User | Group | None:
        return self._users.get(extension) or self._groups.get(extension)

    def groups_of(self, extension: str) -> tuple[Group, ...]:
        return tuple(g for g in self.groups if extension in g.members)

    def outgoing(self) -> Iterator[Context]:
        return (c for c in self.contexts if c.kind == "outgoing")

    def reachable_outgoing(self, name: str) -> list[Context]:
        """The outgoing contexts a context reaches through its includes (directly or
        through other contexts), in Asterisk's search order."""
        found: list[Context] = []
        seen: set[str] = {name}
        start = self.context(name)
        stack = list(reversed(start.include)) if start is not None else []
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            other = self.context(current)
            if other is None:
                continue
            if other.kind == "outgoing":
                found.append(other)
            stack.extend(reversed(other.include))
        return found

    def outgoing_route(self, context: str, number: str) -> Context | None:
        """The outgoing context that takes ``number`` (digits, line prefix included)
        dialed from ``context``: the first one reached whose outside pattern matches."""
        from autocom.site.patterns import pattern_matches  # patterns imports this module

        for out in self.reachable_outgoing(context):
            if pattern_matches(out.outside_pattern, number):
                return out
        return None

    def line_prefixes(self) -> list[str]:
        """The distinct external line prefixes of the outgoing contexts, sorted."""
        return sorted({c.line_prefix for c in self.outgoing()})

    def line_prefix(self) -> str | None:
        """The site's external line prefix ("" when there is none, or no outgoing
        context); None when the outgoing contexts disagree: a rule file must say."""
        prefixes = self.line_prefixes()
        if len(prefixes) > 1:
            return None
        return prefixes[0] if prefixes else ""
