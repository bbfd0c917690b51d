"""autocom-hello: a site's own autocom feature, in its own package.

autocom finds it through the entry point group ``autocom.features`` (see
pyproject.toml); it runs once autocom.yaml names it under ``rules:``
(``hello: hello.yaml``).  docs/agi.md of autocom walks through it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from autocom.feature import CodeClaim, Commands, Feature, HookRoute
from autocom.loader import Config
from autocom.site.model import Site
from autocom_hello import cli, hooks, rules


class HelloFeature(Feature):
    name = "hello"  # the key under rules: in autocom.yaml, and the entry point's name

    def load_rules(self, path: Path | None, site: Site) -> rules.HelloRules:
        return rules.load(path, site)

    def codes(self, config: Config) -> Sequence[CodeClaim]:
        hello: rules.HelloRules = config.rules[self.name]
        return hello.claims()

    def hooks(self) -> Sequence[HookRoute]:
        return (HookRoute("hello", hooks.hello),)

    def add_commands(self, commands: Commands) -> None:
        cli.add_commands(commands)


__all__ = ["HelloFeature"]
