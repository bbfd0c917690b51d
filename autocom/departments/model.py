"""departments.yaml (the main admin's) and a department's fragment files, as models.

departments.yaml says which departments exist, where each one's fragments are and
what they may change::

    departments:
      mips:
        name: Laboratoire MIPS       # the site users' department: (site.yaml, site sync)
        folder: departments/mips     # default departments/<slug>; every *.yaml there
        may:
          assign: [staff, lab]       # classes of rights.yaml it may give its users
          speed_dials: "8500-8549"   # its collective codes, inside speeddial.yaml's range
          groups: ["2901"]           # hunt groups whose members it sets
          prompts: [mips]            # IVR menus whose prompt it sets

A fragment (departments/mips/*.yaml) sets only those::

    assign: {"2102": staff, "2103": lab}
    speed_dials:
      - {code: "8501", number: "00389336200", label: "Secretariat MIPS"}
    groups: {"2901": ["2102", "2103", "2104"]}
    prompts: {mips: [custom/mips-accueil]}
"""

from __future__ import annotations

import re

from pydantic import field_validator, model_validator

from autocom.config.model import RuleModel
from autocom.site.model import NumberRange

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
EXTENSION_RE = re.compile(r"^[0-9]{1,20}$")


class Permissions(RuleModel):
    """What a department's fragments may set; nothing by default."""

    assign: tuple[str, ...] = ()  # classes of rights.yaml, never a new one
    speed_dials: NumberRange | None = None  # a range of collective speed-dial codes
    groups: tuple[str, ...] = ()  # hunt groups (extension) of site.yaml
    prompts: tuple[str, ...] = ()  # IVR menus of ivr.yaml

    @field_validator("speed_dials", mode="before")
    @classmethod
    def _range(cls, v: object) -> object:
        return NumberRange.parse(v) if isinstance(v, str) else v


class Department(RuleModel):
    """One department of departments.yaml."""

    name: str  # as the site users' ``department:`` says it
    folder: str | None = None  # relative to autocom.yaml's folder; default departments/<slug>
    may: Permissions = Permissions()

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not v:
            raise ValueError("name: write the department as site.yaml's users write it")
        return v


class DepartmentsFile(RuleModel):
    """departments.yaml: the main admin's file, named by autocom.yaml's ``departments:``."""

    departments: dict[str, Department] = {}

    @field_validator("departments")
    @classmethod
    def _slugs(cls, v: dict[str, Department]) -> dict[str, Department]:
        for slug in v:
            if not SLUG_RE.match(slug):
                raise ValueError(
                    f"department {slug!r}: a short name in lower case, digits, '_' or '-'"
                    " (it names the folder departments/<name>), e.g. mips"
                )
        return v


class SpeedDialItem(RuleModel):
    """A department's collective speed dial: its code is checked against the department's
    range (autocom.departments.check), the rest by the speed_dial feature."""

    code: str
    number: str
    label: str = ""

    @model_validator(mode="before")
    @classmethod
    def _no_bypass(cls, data: object) -> object:
        if isinstance(data, dict) and "bypass_rights" in data:
            raise ValueError(
                "bypass_rights: only the main admin's speeddial.yaml may let a code bypass "
                "call rights; remove it (the caller's class applies)"
            )
        return data


class Fragment(RuleModel):
    """One fragment file of a department's folder."""

    assign: dict[str, str] = {}  # extension -> class
    speed_dials: tuple[SpeedDialItem, ...] = ()
    groups: dict[str, tuple[str, ...]] = {}  # group extension -> its members
    prompts: dict[str, tuple[str, ...]] = {}  # IVR menu -> its prompt (sound names)

    @field_validator("assign", "groups")
    @classmethod
    def _extensions(cls, v: dict[str, object]) -> dict[str, object]:
        for ext in v:
            if not EXTENSION_RE.match(ext):
                raise ValueError(f'{ext!r}: write an extension (digits), e.g. "2102"')
        return v

    @field_validator("prompts", mode="before")
    @classmethod
    def _sound_lists(cls, v: object) -> object:
        if isinstance(v, dict):
            return {k: [s] if isinstance(s, str) else s for k, s in v.items()}
        return v


# Keys of the main admin's files a fragment might be tempted to write: what to do instead.
ADMIN_ONLY: dict[str, tuple[str, str]] = {
    "classes": (
        "a department cannot create or change a class (only the main admin's rights.yaml)",
        "assign one of the classes you are given",
    ),
    "slots": ("time slots are the main admin's (rights.yaml)", "ask the main admin"),
    "categories": ("number categories are the main admin's (rights.yaml)", "ask the main admin"),
    "pins": (
        "PINs are set with `autocom rights set-pin`, not in a fragment",
        "ask the main admin",
    ),
    "collective": (
        "the collective speed-dial table is the main admin's (speeddial.yaml)",
        "write your codes under speed_dials: (a list of code, number, label)",
    ),
    "menus": (
        "IVR menus are the main admin's (ivr.yaml)",
        "set the prompt of a menu you are given under prompts: {menu: [sound, ...]}",
    ),
    "users": ("the site's users are the main admin's (site.yaml, site sync)", "ask the main admin"),
    "contexts": ("contexts are the main admin's (site.yaml)", "ask the main admin"),
    "ranges": (
        "a department assigns classes extension by extension",
        'write assign: {"<extension>": <class>} for each of your users',
    ),
}
