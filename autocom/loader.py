"""Load autocom.yaml, the site file and every feature's rule file into one Config."""

from __future__ import annotations

import contextlib
import gc
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autocom.cluster import config_hash
from autocom.config.errors import ConfigError, ConfigIssue
from autocom.config.files_seen import FileSeen, seen_again
from autocom.config.model import validate
from autocom.config.settings import Settings
from autocom.config.yaml_source import holds_nothing, load_yaml, read_config_text
from autocom.departments import (
    Departments,
    check_departments,
    fragment_files,
    read_departments,
    with_group_members,
)
from autocom.feature import Feature, code_collisions
from autocom.features import imported, running
from autocom.site.check import check_site
from autocom.site.model import Site
from autocom.site.sitefile import load_site


@dataclass(frozen=True)
class Config:
    """One consistent snapshot of all configuration; swapped whole on reload."""

    path: Path  # autocom.yaml
    settings: Settings
    site: Site
    rules: Mapping[str, Any] = field(default_factory=dict)  # feature name -> its rules
    files: tuple[Path, ...] = ()  # every file read, for the reload watcher
    digest: str = ""  # autocom.cluster.config_hash of those files: same rules everywhere?
    # The features that run: those named under rules: (autocom.features.running)
    features: tuple[Feature, ...] = ()

    @property
    def feature_names(self) -> tuple[str, ...]:
        """The names of the features that run."""
        return tuple(f.name for f in self.features)

    # each file as loaded (its sha256 and stat): what a reload may keep, unread
    seen: Mapping[Path, FileSeen] = field(default_factory=dict)
    # departments.yaml and the departments' fragments (None: no departments: key)
    departments: Departments | None = None

    @property
    def watched(self) -> tuple[Path, ...]:
        """What the reload watcher looks at: the files, the departments' folders (a
        fragment added or removed) and the fragments in them now (one added since, and
        refused, is still watched: its fix reloads)."""
        if self.departments is None:
            return self.files
        folders = self.departments.folders
        return (*self.files, *folders, *(f for d in folders for f in fragment_files(d)))

    @property
    def base(self) -> Path:
        return self.path.parent

    def resolve(self, relative: str) -> Path:
        """A path from autocom.yaml, relative to its folder."""
        return _resolve(self.base, relative)


def _resolve(base: Path, name: str) -> Path:
    p = Path(name)
    return p if p.is_absolute() else base / p


# Above this total size of the site and rule files, loading pauses the cyclic collector
# (and freezes what it loaded).  A site of 1000 users is about 200 KB; measured with
# 4000 (830 KB, bench/sync_bench.py): one full collection during the reload held the
# GIL 66 ms, a call arriving then waited as long.
LARGE_CONFIG_BYTES = 256 * 1024
SWITCH_INTERVAL = 0.001  # seconds, while a large load runs beside the calls


def load_config(
    path: Path | str, features: Sequence[Feature], previous: Config | None = None
) -> Config:
    """Read everything; raise ConfigError listing every issue of every file.

    ``features``: the features that exist (autocom.features.installed()); those of
    autocom.yaml's ``features:`` list are added; only those named under ``rules:``
    load their rules and run (``Config.features``).  ``previous``: the config a
    reload replaces (what unchanged files loaded is kept: ``_Reuse``)."""
    path = Path(path).absolute()
    doc = load_yaml(path)
    settings = validate(Settings, doc)
    known = [*features, *imported(settings, doc, features)]
    named = [settings.site, *(name for name in settings.rules.values() if name)]
    named += [settings.departments] if settings.departments else []
    size = sum(_size(_resolve(path.parent, name)) for name in named)
    with collector_paused(size > LARGE_CONFIG_BYTES):
        return _load(path, settings, known, previous)


def _size(file: Path) -> int:
    try:
        return file.stat().st_size
    except OSError:
        return 0  # load_yaml reports the file


@contextlib.contextmanager
def collector_paused(active: bool, *, freeze: bool = True) -> Iterator[None]:
    """Keep a large (re)load from stalling the calls in progress.

    Reading 100,000 rule lines allocates millions of objects; the cyclic
    collector then runs full collections in the reload thread, each holding the
    GIL for up to a second (measured: 1 s gaps in the event loop).  For a large
    config the collector is paused during the load, and what a load that worked
    left is ``gc.freeze()``d so later collections skip it
    (bench/time_rules_bench.py: the longest loop gap drops to about 0.1 s).  A
    failed load's cycles stay collectable; a replaced config is still freed by
    reference counting.  ``freeze=False`` for work whose results are temporary
    (`autocom site sync` preparing a site).

    Meanwhile the interpreter's switch interval drops from 5 ms to 1 ms: the
    event loop waiting for the GIL gets it back within 1 ms of asking, not 5
    (bench/sync_bench.py, 4000 users).
    """
    if not active:
        yield
        return
    _pause()
    try:
        yield
        if freeze:
            gc.freeze()
    finally:
        _resume()


class _Paused:
    """How many pauses run now (a reload in a thread may overlap a sync in the loop)
    and the state to put back when the last one ends."""

    lock = threading.Lock()
    depth = 0
    was_enabled = True
    interval = 0.005


def _pause() -> None:
    with _Paused.lock:
        if _Paused.depth == 0:
            _Paused.was_enabled = gc.isenabled()
            _Paused.interval = sys.getswitchinterval()
            gc.disable()
            sys.setswitchinterval(min(_Paused.interval, SWITCH_INTERVAL))
        _Paused.depth += 1


def _resume() -> None:
    with _Paused.lock:
        _Paused.depth -= 1
        if _Paused.depth == 0:
            sys.setswitchinterval(_Paused.interval)
            if _Paused.was_enabled:
                gc.enable()


def empty_rule_file(path: Path, feature: Feature) -> ConfigIssue | None:
    """An issue when a named rule file holds nothing (only blanks, comments, ``---``).

    An empty file would load as "no rules at all", and an editor that truncates
    before it writes shows exactly that for a moment: "none" must be written."""
    try:
        text = read_config_text(path)
    except ConfigError:
        return None  # the feature's own load reports it
    if not holds_nothing(text):
        return None
    return ConfigIssue(
        str(path),
        1,
        f"{feature.name}: the rule file is empty (a save cut short looks the same)",
        f"to have none, say so: write {feature.none_example}",
    )


class _Reuse:
    """What a reload keeps from the config it replaces: the site, and the rules of a
    ``rules_from_file_only`` feature, when their files' bytes are the same
    (``previous`` None, a first load: nothing).  Each file is read at most once,
    and not at all when its stat says it was not touched (:func:`seen_again`)."""

    def __init__(self, previous: Config | None) -> None:
        self.previous = previous
        self.seen: dict[Path, FileSeen] = {}
        self.began_ns = time.time_ns()
        self.same_site = False

    def seen_now(self, file: Path) -> FileSeen:
        if file not in self.seen:
            before = self.previous.seen.get(file) if self.previous is not None else None
            self.seen[file] = seen_again(file, before, self.began_ns)
        return self.seen[file]

    def _same(self, file: Path) -> bool:
        digest = self.seen_now(file).digest
        old = self.previous.seen.get(file) if self.previous is not None else None
        return bool(digest) and old is not None and digest == old.digest

    def site(
        self, site_path: Path, issues: list[ConfigIssue], deps: Departments | None = None
    ) -> Site:
        """The site file's users, groups and plan (kept when neither the site file nor
        departments.yaml and its fragments changed: the site has their group members)."""
        previous = self.previous
        if self._same(site_path) and previous is not None and self._same_departments(deps):
            self.same_site = True
            return previous.site  # loaded and checked then, the same bytes now
        try:
            site = load_site(site_path)  # the generated site's fast path; else YAML
        except ConfigError as exc:
            issues.extend(exc.issues)
            site = Site()
        issues.extend(check_site(site))  # numbering plan, even when a rule file is broken
        return site

    def _same_departments(self, deps: Departments | None) -> bool:
        old = self.previous.departments if self.previous is not None else None
        if deps is None or old is None:
            return deps is None and old is None
        same = [self._same(f) for f in deps.files]  # every digest kept for the new Config
        return deps.files == old.files and all(same)

    def kept(self, name: str, rules: Any) -> bool:
        """Whether ``rules`` are the previous config's (merged already)."""
        return self.previous is not None and rules is self.previous.rules.get(name)

    def rules(self, feature: Feature, rule_path: Path | None, site: Site) -> Any:
        previous = self.previous
        if (
            self.same_site
            and previous is not None
            and feature.rules_from_file_only
            and rule_path is not None
            and feature.name in previous.rules
            and self._same(rule_path)
        ):
            return previous.rules[feature.name]  # the same bytes on the same site
        if previous is not None and feature.name in previous.rules:
            return feature.reload_rules(rule_path, site, previous.rules[feature.name])
        return feature.load_rules(rule_path, site)

    def same_rule_file(self, feature: Feature, rule_path: Path) -> bool:
        """Whether the config replaced read ``feature``'s rules from these very bytes
        (then they are no empty file: that config was taken)."""
        previous = self.previous
        if previous is None or not self._same(rule_path):
            return False
        named = previous.settings.rules.get(feature.name)
        return named is not None and _resolve(previous.base, named) == rule_path


def _unknown_features(
    path: Path, settings: Settings, features: Sequence[Feature]
) -> list[ConfigIssue]:
    known = {f.name for f in features}
    return [
        ConfigIssue(
            str(path),
            settings.source.line if settings.source else None,
            f"rules: no feature is called {name!r}",
            f"use one of {', '.join(sorted(known))}",
        )
        for name in settings.rules
        if name not in known
    ]


def _departments(base: Path, settings: Settings, issues: list[ConfigIssue]) -> Departments | None:
    """departments.yaml and its fragments, read (None: autocom.yaml names none)."""
    if not settings.departments:
        return None
    deps, found = read_departments(_resolve(base, settings.departments), base)
    issues.extend(found)
    return deps


def _merge_departments(
    deps: Departments | None,
    runs: Sequence[Feature],
    rules: dict[str, Any],
    reuse: _Reuse,
    issues: list[ConfigIssue],
) -> None:
    """Each running feature's rules with what the fragments set for it (not those a
    reload kept: they are merged already)."""
    if deps is None:
        return
    for feature in runs:
        name = feature.name
        if name in rules and not reuse.kept(name, rules[name]):
            try:
                rules[name] = feature.merge_departments(rules[name], deps)
            except ConfigError as exc:
                issues.extend(exc.issues)


def _load(
    path: Path, settings: Settings, features: Sequence[Feature], previous: Config | None = None
) -> Config:
    issues: list[ConfigIssue] = []
    files = [path]
    base = path.parent
    site_path = _resolve(base, settings.site)
    files.append(site_path)
    reuse = _Reuse(previous)
    deps = _departments(base, settings, issues)
    site = reuse.site(site_path, issues, deps)
    issues.extend(_unknown_features(path, settings, features))

    runs = running(features, settings)
    if deps is not None:
        files.extend(deps.files)
        refused = check_departments(deps, site, (f.name for f in runs))
        issues.extend(refused)
        site = with_group_members(site, deps) if not refused else site
    rules: dict[str, Any] = {}
    for feature in runs:
        rule_file = settings.rules.get(feature.name)
        rule_path = _resolve(base, rule_file) if rule_file else None
        if rule_path is not None:
            files.append(rule_path)
            same = reuse.same_rule_file(feature, rule_path)
            empty = None if same else empty_rule_file(rule_path, feature)
            if empty is not None:
                issues.append(empty)
                continue
        try:
            rules[feature.name] = reuse.rules(feature, rule_path, site)
        except ConfigError as exc:
            issues.extend(exc.issues)
    if not issues:
        _merge_departments(deps, runs, rules, reuse, issues)
    if issues:
        raise ConfigError(issues)

    seen = {f: reuse.seen_now(f) for f in files}
    digest = config_hash(base, {f: s.digest for f, s in seen.items()})
    config = Config(path, settings, site, rules, tuple(files), digest, runs, seen, deps)
    for feature in runs:
        issues.extend(feature.check(config))
    issues.extend(code_collisions({f.name: f.codes(config) for f in runs}))
    if issues:
        raise ConfigError(issues)
    return config
