"""Which features exist, and which run.

A feature is a ``Feature`` object (autocom.feature).  They come from two places,
and only those autocom.yaml names under ``rules:`` run (docs/agi.md, "A site's
own feature"):

- ``installed()``: every entry point of the group ``autocom.features`` (name =
  the feature's name, value = ``package.module:Class``).  autocom lists its
  bundled features in its own pyproject.toml exactly as a site's package lists
  its own;
- ``imported(settings, doc)``: the ``features:`` list of autocom.yaml, import
  paths ``package.module:Class`` of features not installed as a package; every
  error names autocom.yaml's file:line.

Nothing is registered at import time: the lists are built when asked for.
"""

from __future__ import annotations

import importlib
import tomllib
from collections.abc import Iterable, Sequence
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

from autocom.config.errors import ConfigError, ConfigIssue
from autocom.config.settings import Settings
from autocom.config.yaml_source import Document
from autocom.feature import Feature

__all__ = ["ENTRY_POINT_GROUP", "FeatureLoadError", "imported", "installed", "running"]

ENTRY_POINT_GROUP = "autocom.features"
_PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


class FeatureLoadError(Exception):
    """An installed feature (entry point) that cannot be loaded."""


def installed() -> list[Feature]:
    """One instance of every feature of the ``autocom.features`` entry points,
    autocom's bundled ones first (in pyproject.toml's order), then the others by name."""
    bundled = _bundled_specs()
    # autocom's own installed entry points are the pyproject list (maybe older): skip them
    others = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if not _ours(ep, bundled)]
    listed = [*bundled.items(), *((ep.name, ep.value) for ep in others)]
    specs: dict[str, str] = {}
    for name, value in listed:
        if specs.setdefault(name, value) != value:
            raise FeatureLoadError(
                f"two features are called {name!r} ({specs[name]} and {value}): "
                "rename one (its entry point and its Feature.name)"
            )
    found: dict[str, Feature] = {}
    for name, value in [*bundled.items(), *sorted(specs.items())]:
        if name in found:
            continue
        try:
            feature = _instantiate(value)
        except (ImportError, AttributeError, TypeError, ValueError) as exc:
            raise FeatureLoadError(
                f"feature {name!r} (entry point {value} in group {ENTRY_POINT_GROUP}): {exc}"
            ) from None
        if feature.name != name:
            raise FeatureLoadError(
                f"entry point {name} = {value!r}: the feature calls itself {feature.name!r}; "
                f"register it as {feature.name} = {value!r}"
            )
        found[name] = feature
    return list(found.values())


def _ours(ep: EntryPoint, bundled: dict[str, str]) -> bool:
    return bool(bundled) and ep.dist is not None and ep.dist.name == "autocom"


def _bundled_specs() -> dict[str, str]:
    """autocom's own entry points, as pyproject.toml lists them (the same list the
    installed metadata holds; read here so a source checkout needs no install)."""
    if _PYPROJECT.is_file():
        project = tomllib.loads(_PYPROJECT.read_text(encoding="utf-8")).get("project", {})
        listed = project.get("entry-points", {}).get(ENTRY_POINT_GROUP, {})
        if project.get("name") == "autocom" and listed:
            return {str(k): str(v) for k, v in listed.items()}
    return {}


def imported(settings: Settings, doc: Document, known: Sequence[Feature]) -> list[Feature]:
    """The features of autocom.yaml's ``features:`` list not already in ``known``.

    Raises ConfigError naming autocom.yaml's line for a path that does not import
    or does not name a Feature class."""
    issues: list[ConfigIssue] = []
    found: list[Feature] = []
    for i, path in enumerate(settings.features):
        try:
            cls = _class(path)
        except (ImportError, AttributeError, TypeError, ValueError) as exc:
            issues.append(
                ConfigIssue(
                    doc.file,
                    doc.line_of(("features", i)),
                    f"features: cannot load {path!r}: {exc}",
                    "write package.module:FeatureClass of an installed package "
                    "(pip install it, or put its folder on PYTHONPATH)",
                )
            )
            continue
        if any(type(f) is cls for f in [*known, *found]):
            continue
        feature = cls()
        if any(f.name == feature.name for f in [*known, *found]):
            issues.append(
                ConfigIssue(
                    doc.file,
                    doc.line_of(("features", i)),
                    f"features: {path} is called {feature.name!r}, the name of a feature "
                    "autocom already has",
                    "give the site's feature a name of its own (Feature.name)",
                )
            )
            continue
        found.append(feature)
    if issues:
        raise ConfigError(issues)
    return found


def running(features: Iterable[Feature], settings: Settings) -> tuple[Feature, ...]:
    """The features autocom.yaml names under ``rules:``: only they run."""
    return tuple(f for f in features if f.name in settings.rules)


def _instantiate(value: str) -> Feature:
    return _class(value)()


def _class(value: str) -> type[Feature]:
    module, sep, attr = value.partition(":")
    if not sep or not module or not attr:
        raise ValueError(f"{value!r} is not package.module:Class")
    obj: object = importlib.import_module(module.strip())
    for part in attr.strip().split("."):
        obj = getattr(obj, part)
    if not (isinstance(obj, type) and issubclass(obj, Feature)):
        raise TypeError(f"{value} is not a Feature class (autocom.feature.Feature)")
    return obj
