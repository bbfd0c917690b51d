"""ivr.yaml: voice menus played by the autocom-ivr Stasis application.

    defaults: {language: fr, timeout: "5", retries: "2"}
    menus:
      main:
        prompt: [dir-welcome, vm-options]
        branches:                     # first active time slot wins
          - {slot: holiday, menu: closed}
          - {slot: closed, menu: closed}
        options:
          "1": {menu: sales}
          "2": {extension: "2001"}
          "9": {directory: {}}
        on_failure: {extension: "2000"}

An action is a mapping with exactly one of: extension, menu, queue, group,
voicemail, directory, hangup.  Sound names are Asterisk sound files without
extension (asterisk-core-sounds-fr: ``vm-options``, ``dir-intro``...).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from autocom.config.model import RuleModel

SOUND_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_/.-]{0,127}$")
NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
EXTENSION_RE = re.compile(r"^[0-9*#]{1,20}$")
MAILBOX_RE = re.compile(r"^[0-9]{1,20}(@[A-Za-z0-9_-]{1,40})?$")
KEYS = frozenset("0123456789*#")

ActionKind = Literal["extension", "menu", "queue", "group", "voicemail", "directory", "hangup"]
ACTION_KINDS: tuple[ActionKind, ...] = (
    "extension",
    "menu",
    "queue",
    "group",
    "voicemail",
    "directory",
    "hangup",
)


def _sounds(value: object) -> tuple[str, ...]:
    items = value if isinstance(value, list | tuple) else [value]
    out = []
    for item in items:
        if not isinstance(item, str) or not SOUND_RE.match(item) or ".." in item:
            raise ValueError(
                f"sound {item!r}: write a sound file name without extension, "
                "e.g. vm-options or custom/welcome"
            )
        out.append(item)
    return tuple(out)


class Directory(RuleModel):
    """Dial by name: the caller keys the first letters, hears the matches, picks one."""

    prompt: tuple[str, ...] = ("dir-intro",)  # "enter the first letters of the name"
    no_match: tuple[str, ...] = ("dir-nomatch",)
    pick: tuple[str, ...] = ("if-correct-press",)  # said before each match's number
    min_letters: int = Field(default=3, ge=1, le=10)  # search once this many keys are in
    max_matches: int = Field(default=5, ge=1, le=9)  # offered as keys 1..max_matches
    timeout: int = Field(default=6, ge=1, le=60)  # seconds for the next key
    # Offer entries that have no internal extension but an outside number (dialed
    # in the IVR's context, so through its call rights): off by default.
    external: bool = False

    @field_validator("prompt", "no_match", "pick", mode="before")
    @classmethod
    def _check_sounds(cls, v: object) -> tuple[str, ...]:
        return _sounds(v)


class Action(RuleModel):
    """Where a key (or a time slot, or a failure) leads: exactly one key is set."""

    extension: str | None = None  # an extension of the site, dialed in the caller's context
    menu: str | None = None  # another menu of this file
    queue: str | None = None  # an Asterisk queue (Queue())
    group: str | None = None  # a hunt group's extension (site.yaml groups)
    voicemail: str | None = None  # a mailbox, '2001' or '2001@default'
    directory: Directory | None = None  # dial by name
    hangup: bool | None = None  # 'hangup: yes'

    @model_validator(mode="after")
    def _exactly_one(self) -> Action:
        set_keys = [k for k in ACTION_KINDS if getattr(self, k) not in (None, False)]
        if len(set_keys) != 1:
            raise ValueError(
                "an action needs exactly one of extension, menu, queue, group, voicemail, "
                f"directory, hangup (found: {', '.join(set_keys) or 'none'})"
            )
        if self.extension is not None and not EXTENSION_RE.match(self.extension):
            raise ValueError(f"extension {self.extension!r}: write digits (and * or #)")
        if self.group is not None and not EXTENSION_RE.match(self.group):
            raise ValueError(f"group {self.group!r}: write the group's extension")
        if self.menu is not None and not NAME_RE.match(self.menu):
            raise ValueError(f"menu {self.menu!r}: letters, digits, '_' and '-' only")
        if self.queue is not None and not NAME_RE.match(self.queue):
            raise ValueError(f"queue {self.queue!r}: letters, digits, '_' and '-' only")
        if self.voicemail is not None and not MAILBOX_RE.match(self.voicemail):
            raise ValueError(f"voicemail {self.voicemail!r}: write a mailbox like 2001@default")
        return self

    @property
    def kind(self) -> ActionKind:
        for k in ACTION_KINDS:
            if getattr(self, k) not in (None, False):
                return k
        raise AssertionError("validated action without a kind")

    @property
    def target(self) -> str:
        """The extension/menu/queue/group/mailbox ('' for directory and hangup)."""
        value = getattr(self, self.kind)
        return value if isinstance(value, str) else ""


class Branch(Action):
    """A time-slot branch: taken when ``slot`` is active, when ``outside`` is not, or
    when the service ``night`` (daynight: services:) is in night mode: outside its
    slot, or switched to night by its toggle code (the override).

    Slot names are those of the call rights file (time_rules ``slots:``).
    """

    slot: str | None = None
    outside: str | None = None
    night: str | None = None

    @model_validator(mode="after")
    def _one_condition(self) -> Branch:
        given = [k for k in ("slot", "outside", "night") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "a branch needs exactly one of slot: or outside: (a slot name), or night: "
                "(a service of daynight:)"
            )
        return self

    @property
    def slot_name(self) -> str | None:
        """The time slot the branch reads (None for a night: branch)."""
        return self.slot if self.slot is not None else self.outside

    def taken(
        self, active_slots: frozenset[str], night_services: frozenset[str] = frozenset()
    ) -> bool:
        if self.night is not None:
            return self.night in night_services
        if self.slot is not None:
            return self.slot in active_slots
        return self.outside not in active_slots

    def describe(self) -> str:
        if self.night is not None:
            return f"service {self.night} in night mode"
        return f"slot {self.slot} active" if self.slot else f"outside slot {self.outside}"


PIN_RE = re.compile(r"^[0-9]{4,8}$")
CODE_RE = re.compile(r"^[*#][0-9*#]{1,19}$")


class Service(RuleModel):
    """A service open by day and closed by night (a switchboard, a hunt group, an IVR
    menu): day while ``slot`` is active; a toggle code overrides that."""

    slot: str  # a time slot of the call rights file: day while it is active
    code: str | None = None  # the toggle code dialed from a phone, e.g. "*601" (BLF key)
    pin: str | None = None  # digits asked before the toggle (none: any phone may toggle)
    # the override lasts until the slot next changes (next_change) or until toggled back
    until: Literal["next_change", "toggle"] = "next_change"

    @field_validator("code")
    @classmethod
    def _code(cls, v: str | None) -> str | None:
        if v is not None and not CODE_RE.match(v):
            raise ValueError(f"code {v!r}: write * or # then digits, e.g. '*601'")
        return v

    @field_validator("pin")
    @classmethod
    def _pin(cls, v: str | None) -> str | None:
        if v is not None and not PIN_RE.match(v):
            raise ValueError("pin: write 4 to 8 digits, quoted")
        return v


class DayNight(RuleModel):
    """daynight: in ivr.yaml: the services and their day/night switches."""

    lamp_sync: int = Field(default=30, ge=5, le=3600)  # seconds between two lamp syncs
    services: dict[str, Service] = {}

    @field_validator("services")
    @classmethod
    def _names(cls, v: dict[str, Service]) -> dict[str, Service]:
        for name in v:
            if not NAME_RE.match(name):
                raise ValueError(f"service name {name!r}: letters, digits, '_' and '-' only")
        return v


class Menu(RuleModel):
    prompt: tuple[str, ...]
    options: dict[str, Action] = {}
    branches: tuple[Branch, ...] = ()
    timeout: int | None = Field(default=None, ge=1, le=60)  # seconds after the prompt
    retries: int | None = Field(default=None, ge=0, le=9)  # replays after timeout/invalid
    invalid: tuple[str, ...] | None = None  # played before the prompt again on a wrong key
    on_failure: Action | None = None  # after the last retry (default: goodbye, hang up)
    language: str | None = None

    @field_validator("prompt", "invalid", mode="before")
    @classmethod
    def _check_sounds(cls, v: object) -> tuple[str, ...] | None:
        return None if v is None else _sounds(v)

    @field_validator("options")
    @classmethod
    def _check_keys(cls, v: dict[str, Action]) -> dict[str, Action]:
        for key in v:
            if key not in KEYS:
                raise ValueError(f"option {key!r}: one keypad key, 0-9, * or # (quote it)")
        return v


class Defaults(RuleModel):
    language: str = "fr"
    timeout: int = Field(default=5, ge=1, le=60)
    retries: int = Field(default=2, ge=0, le=9)
    invalid: tuple[str, ...] = ("pm-invalid-option",)
    goodbye: tuple[str, ...] = ("vm-goodbye",)

    @field_validator("invalid", "goodbye", mode="before")
    @classmethod
    def _check_sounds(cls, v: object) -> tuple[str, ...]:
        return _sounds(v)


class IvrRules(RuleModel):
    """The whole ivr.yaml."""

    app: str = "autocom-ivr"  # the Stasis application name: Stasis(autocom-ivr,<menu>)
    defaults: Defaults = Defaults()
    daynight: DayNight = DayNight()
    menus: dict[str, Menu] = {}

    @field_validator("app")
    @classmethod
    def _app(cls, v: str) -> str:
        if not NAME_RE.match(v):
            raise ValueError(f"app {v!r}: letters, digits, '_' and '-' only")
        return v

    @model_validator(mode="after")
    def _menus_known(self) -> IvrRules:
        for name in self.menus:
            if not NAME_RE.match(name):
                raise ValueError(f"menu name {name!r}: letters, digits, '_' and '-' only")
        for name, menu in self.menus.items():
            for branch in menu.branches:
                if branch.night is not None and branch.night not in self.daynight.services:
                    known = ", ".join(sorted(self.daynight.services)) or "none"
                    raise ValueError(
                        f"menu {name!r}: night: {branch.night!r} is no service under "
                        f"daynight: services: (known: {known})"
                    )
            for action in self.actions_of(menu):
                if action.menu is not None and action.menu not in self.menus:
                    raise ValueError(
                        f"menu {name!r} goes to menu {action.menu!r}, which is not defined "
                        f"(known: {', '.join(sorted(self.menus))})"
                    )
        return self

    @staticmethod
    def actions_of(menu: Menu) -> list[Action]:
        out: list[Action] = [*menu.options.values(), *menu.branches]
        if menu.on_failure is not None:
            out.append(menu.on_failure)
        return out

    def timeout_of(self, menu: Menu) -> int:
        return menu.timeout if menu.timeout is not None else self.defaults.timeout

    def retries_of(self, menu: Menu) -> int:
        return menu.retries if menu.retries is not None else self.defaults.retries

    def invalid_of(self, menu: Menu) -> tuple[str, ...]:
        return menu.invalid if menu.invalid is not None else self.defaults.invalid

    def site_dialplan(self) -> str:
        """The day/night toggle codes `autocom dialplan` adds to the site dialplan
        (``autocom-site-daynight-codes``, included by dialplan/autocom-ivr.conf): each
        code runs autocom-ivr-daynight-toggle, and its hint is the service's lamp."""
        lines = [
            "",
            "[autocom-site-daynight-codes]",
            "; day/night toggle codes, from ivr.yaml (daynight: services:)",
        ]
        for name, service in self.daynight.services.items():
            if service.code is None:
                continue
            lines.append(f"exten => {service.code},hint,Custom:daynight-{name}")
            lines.append(f"exten => {service.code},1,Set(AUTOCOM_DAYNIGHT_SERVICE={name})")
            lines.append(" same => n,Goto(autocom-ivr-daynight-toggle,s,1)")
        return "\n".join(lines) + "\n"
