"""The features, listed explicitly: the server and the CLI use exactly these."""

from __future__ import annotations

from apps.accounting import AccountingFeature
from apps.boss_secretary import BossSecretaryFeature
from apps.directory import DirectoryFeature
from apps.forwards import ForwardsFeature
from apps.ivr import IvrFeature
from apps.speed_dial import SpeedDialFeature
from apps.time_rules import TimeRulesFeature
from autocom.feature import Feature


def features() -> list[Feature]:
    """One instance of each feature, in the order hooks and commands are listed."""
    return [
        TimeRulesFeature(),
        IvrFeature(),
        BossSecretaryFeature(),
        DirectoryFeature(),
        ForwardsFeature(),
        SpeedDialFeature(),
        AccountingFeature(),
    ]
