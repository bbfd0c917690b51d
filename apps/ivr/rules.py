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
    """A time-slot branch: taken when ``slot`` is active, or when ``outside`` is not.

    Slot names are those of the call rights file (time_rules ``slots:``).
    """

    slot: str | None = None
    outside: str | None = None

    @model_validator(mode="after")
    def _one_condition(self) -> Branch:
        if (self.slot is None) == (self.outside is None):
            raise ValueError("a branch needs exactly one of slot: or outside: (a slot name)")
        return self

    @property
    def slot_name(self) -> str:
        name = self.slot if self.slot is not None else self.outside
        assert name is not None
        return name

    def taken(self, active_slots: frozenset[str]) -> bool:
        if self.slot is not None:
            return self.slot in active_slots
        return self.outside not in active_slots

    def describe(self) -> str:
        return f"slot {self.slot} active" if self.slot else f"outside slot {self.outside}"


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
