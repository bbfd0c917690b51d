"""Soak and idle-session benchmarks of `autocom serve` (a real process, loopback only).

``soak``: `autocom serve` on a copy of examples/ (no ARI link), loaded with
bench/agi_load.py's fake Asterisk at 500 concurrent sessions for 10 minutes;
the server's RSS (/proc/<pid>/status VmRSS) is sampled every --every seconds.
Memory is flat when the last samples are no higher than the first ones after
warm-up (the figure printed: growth from the 2nd sample to the last).

``idle``: 10,000 FastAGI sessions that send their environment block and then
say nothing, held at once with the caps raised (max_sessions and
max_sessions_per_peer 12,000, first_reply_timeout 600 s, a file limit of
20,000 with prlimit); prints the server's RSS before and with them all open.

Both stop by themselves (the server is stopped with SIGTERM at the end) and
print one JSON line per sample and a summary line.

    python bench/soak.py soak --duration 600 --concurrency 500
    python bench/soak.py idle --sessions 10000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autocom.agi.server import new_event_loop  # noqa: E402
from bench.agi_load import env_template, run_load  # noqa: E402
from bench.served import HOST, autocom_serve, rss_mb  # noqa: E402


async def soak(duration: float, concurrency: int, every: float) -> dict[str, object]:
    agi = f"max_sessions: {2 * concurrency}, max_sessions_per_peer: {2 * concurrency}"
    samples: list[float] = []
    sessions = errors = 0
    with autocom_serve(agi, files=4 * concurrency + 1024) as (pid, port):
        started = time.monotonic()
        while time.monotonic() - started < duration:
            chunk = min(every, duration - (time.monotonic() - started))
            result = await run_load(
                HOST, port, concurrency=concurrency, sessions=None, duration=chunk
            )
            sessions += result.sessions
            errors += result.errors
            samples.append(rss_mb(pid))
            print(json.dumps({
                "t_s": round(time.monotonic() - started), "rss_mb": round(samples[-1], 1),
                "sessions": result.sessions, "errors": result.errors,
                "rate": round(result.rate), "p99_ms": round(result.percentile(0.99) * 1000, 1),
            }), flush=True)  # fmt: skip
    warm = samples[1] if len(samples) > 1 else samples[0]
    return {
        "bench": "soak",
        "duration_s": duration,
        "concurrency": concurrency,
        "sessions": sessions,
        "errors": errors,
        "rss_first_mb": round(samples[0], 1),
        "rss_after_warmup_mb": round(warm, 1),
        "rss_last_mb": round(samples[-1], 1),
        "rss_max_mb": round(max(samples), 1),
        "growth_after_warmup_mb": round(samples[-1] - warm, 1),
    }


async def idle(count: int) -> dict[str, object]:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 1024), hard))
    cap = count + 2000
    agi = f"max_sessions: {cap}, max_sessions_per_peer: {cap}, first_reply_timeout: 600"
    loop = asyncio.get_running_loop()
    with autocom_serve(agi, files=min(hard, 2 * count + 2048)) as (pid, port):
        before = rss_mb(pid)
        template = env_template(HOST, port, "rights")
        held: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        t0 = loop.time()
        for start in range(0, count, 500):  # 500 connections at a time
            batch = [asyncio.open_connection(HOST, port) for _ in range(min(500, count - start))]
            for reader, writer in await asyncio.gather(*batch):
                n = str(len(held))
                writer.write(
                    template.replace("{n:08x}", f"{int(n):08x}").replace("{n}", n).encode()
                )
                held.append((reader, writer))
        # each session is served: its first command is written and it waits for the reply
        first = await asyncio.gather(*(r.readline() for r, _ in held))
        asked = sum(1 for line in first if line and not line.lower().startswith(b"failure"))
        with_them = rss_mb(pid)
        for _, writer in held:
            writer.close()
        return {
            "bench": "idle",
            "sessions": len(held),
            "served_and_waiting": asked,
            "open_s": round(loop.time() - t0, 1),
            "rss_before_mb": round(before, 1),
            "rss_with_idle_mb": round(with_them, 1),
            "per_session_kb": round((with_them - before) * 1024 / max(1, len(held)), 1),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="bench", required=True)
    s = sub.add_parser("soak", help="500 concurrent sessions for 10 minutes, RSS sampled")
    s.add_argument("--duration", type=float, default=600.0)
    s.add_argument("--concurrency", type=int, default=500)
    s.add_argument("--every", type=float, default=30.0, help="seconds between RSS samples")
    i = sub.add_parser("idle", help="10,000 idle sessions held with the caps raised")
    i.add_argument("--sessions", type=int, default=10000)
    args = parser.parse_args(argv)
    loop = new_event_loop()
    try:
        if args.bench == "soak":
            summary = loop.run_until_complete(soak(args.duration, args.concurrency, args.every))
        else:
            summary = loop.run_until_complete(idle(args.sessions))
    finally:
        loop.close()
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
