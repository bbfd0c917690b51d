"""A separate process writing to a SqliteStore, for the kill -9 and sharing tests.

python -m tests.integration.store.sqlite_writer PATH one
    sets durable/key = "written", prints "written", then waits to be killed
python -m tests.integration.store.sqlite_writer PATH stream
    sets stream/<i> = <i> for i = 0, 1, ... and prints i after each set returned
python -m tests.integration.store.sqlite_writer PATH bulk TAG COUNT
    sets bulk/<TAG>-<i> = <i> for i < COUNT, prints "done"
python -m tests.integration.store.sqlite_writer PATH count COUNT
    incr count/shared COUNT times, prints the counts it got on one line
"""

from __future__ import annotations

import asyncio
import sys

from autocom.store.sqlite_store import SqliteStore


async def main(path: str, mode: str, *args: str) -> None:
    store = await SqliteStore.open(path, op_timeout=10.0)
    if mode == "one":
        await store.set("durable", "key", "written")
        print("written", flush=True)
        await asyncio.sleep(3600)
    elif mode == "stream":
        i = 0
        while True:
            await store.set("stream", str(i), str(i))
            print(i, flush=True)
            i += 1
    elif mode == "bulk":
        tag, count = args[0], int(args[1])
        for i in range(count):
            await store.set("bulk", f"{tag}-{i}", str(i))
        await store.close()
        print("done", flush=True)
    elif mode == "count":
        got = [await store.incr("count", "shared", ttl=600) for _ in range(int(args[0]))]
        await store.close()
        print(" ".join(map(str, got)), flush=True)
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
