"""Call accounting through an outage: the collector is stopped while calls go on.

Issue 17: "autocom stopped for 10 minutes while calls go on: after it restarts, 0
tickets missing". Starts a private Asterisk 22 (tests/e2e's harness, CEL on, loopback
ports), starts the autocom server with accounting.yaml (the same ``running`` server
``autocom serve`` runs, in this process), stops it, places calls one after another for
``--minutes`` (answered, busy, no answer in turn), restarts it and counts the tickets
against the calls placed. Prints ``calls tickets missing``; exits 1 if one is missing.

    sudo .venv/bin/python bench/accounting_outage.py --minutes 10
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apps import features  # noqa: E402
from autocom.app import running  # noqa: E402
from autocom.site.sitefile import load_site  # noqa: E402
from tests.e2e.asterisk import ensure_root  # noqa: E402
from tests.e2e.conftest import DEFAULT_SITE, call_driver, private_asterisk  # noqa: E402
from tests.e2e.driver import CallDriver  # noqa: E402
from tests.e2e.test_accounting import accounting, accounting_config, autocom_on, tickets  # noqa: E402

KINDS = (("2001", ""), ("2003", "busy"), ("2004", "noanswer"))  # callee, sink of its phone
PHONES = {"2003": ("petit-desk", "petit-soft"), "2004": ("durand-desk",)}


async def calls_while_down(driver: CallDriver, minutes: float) -> set[str]:
    """Calls placed one after another until ``minutes`` are up: their linkedids."""
    placed: set[str] = set()
    deadline = time.monotonic() + minutes * 60
    n = 0
    while time.monotonic() < deadline:
        callee, sink = KINDS[n % len(KINDS)]
        await driver.reset_sinks()
        for phone in PHONES.get(callee, ()):
            await driver.sink(phone, sink)
        call = await driver.call(callee, "personnel", caller="2002")
        placed.add(call.call_id)
        n += 1
    return placed


async def bench(minutes: float, folder: Path) -> int:
    site = load_site(DEFAULT_SITE)
    globals_ = {"AUTOCOM_RING_TIME": "2"}
    with private_asterisk(ensure_root(), site=site, globals=globals_, cel=True) as a:
        async with call_driver(a) as driver:
            config = accounting_config(folder / "config", a)
            feats = features()
            async with autocom_on(a, driver, config, feats):
                before = await driver.call("2001", "personnel", caller="2002")
                await tickets(accounting(feats), {before.call_id})
            # autocom stopped: the AGI hooks fail safe, Asterisk writes CEL to its backlog
            await driver.set_global("AUTOCOM_AGI", "agi://127.0.0.1:9")
            placed = await calls_while_down(driver, minutes)
            feats = features()
            async with running(config, feats, agi_port=0, http_port=0, watch=False):
                got = await tickets(accounting(feats), placed, max_wait=120)
    missing = len(placed - set(got))
    print(f"calls {len(placed)} tickets {len(placed & set(got))} missing {missing}")
    return 1 if missing else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="outage length")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="accounting-outage-") as tmp:
        sys.exit(asyncio.run(bench(args.minutes, Path(tmp))))


if __name__ == "__main__":
    main()
