"""
What the page's query costs on real Parse Server (PostgreSQL) as the bot
runs for months: an account of the version before the ring (one row a
line, read newest 20 by createdAt), and the ring after migration (read
newest 20 by seq), as many lines later as it takes.

Run by hand (it takes some minutes): python benchmarks/growth.py

The old account's rows go straight into PostgreSQL, as months of posting
at interval 10 s would have left them (8,640 a day). The ring is made by
boredbot-provision migrating an old account (timed), then lines are
written over it with SQL, as the updater writes them, a million at most.
Prints each figure beside its target.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from helpers.backends import PREVIOUS_PERMISSIONS  # noqa: E402
from helpers.real_parse import ParseServer, Postgres  # noqa: E402

#: Lines a day at the default interval.
PER_DAY = 8_640


def _ask(server: ParseServer, params: dict[str, str]) -> Any:
    instance = server.instance
    request = urllib.request.Request(
        f"{instance.url}/classes/lines?{urlencode(params)}",
        headers={
            "X-Parse-Application-Id": instance.application_id,
            "X-Parse-Master-Key": instance.master_key,
        },
    )
    with urllib.request.urlopen(request, timeout=120) as answer:
        return json.load(answer)


def _median_ms(server: ParseServer, params: dict[str, str], times: int) -> float:
    _ask(server, params)  # warm
    taken = []
    for _ in range(times):
        started = time.perf_counter()
        _ask(server, params)
        taken.append((time.perf_counter() - started) * 1000)
    return statistics.median(taken)


OLD_QUERY = {"order": "-createdAt", "limit": "20"}
RING_QUERY = {
    "where": json.dumps({"seq": {"$exists": True}}),
    "order": "-seq",
    "limit": "20",
}


def _size(postgres: Postgres, server: ParseServer) -> str:
    return postgres.sql(
        server.database, "SELECT pg_size_pretty(pg_total_relation_size('\"lines\"'))"
    ).strip()


def _old_account(postgres: Postgres, server: ParseServer) -> None:
    instance = server.instance
    body = json.dumps(
        {
            "className": "lines",
            "fields": {"status": {"type": "String"}, "mood": {"type": "String"}},
            "classLevelPermissions": PREVIOUS_PERMISSIONS,
        }
    ).encode()
    request = urllib.request.Request(
        f"{instance.url}/schemas/lines",
        data=body,
        method="POST",
        headers={
            "X-Parse-Application-Id": instance.application_id,
            "X-Parse-Master-Key": instance.master_key,
            "Content-Type": "application/json",
        },
    )
    urllib.request.urlopen(request, timeout=60).read()


def _add_old_lines(
    postgres: Postgres, server: ParseServer, start: int, end: int
) -> None:
    postgres.add_old_lines(server.database, start, end)
    postgres.sql(server.database, 'VACUUM ANALYZE "lines"')


def _post_over_the_ring(postgres: Postgres, server: ParseServer, lines: int) -> None:
    # As the updater writes: each line over the slot holding the oldest, one
    # seq up. A round writes every slot once (UPDATE ... SET seq = seq + N).
    size = int(postgres.sql(server.database, 'SELECT count(*) FROM "lines"'))
    for _ in range(lines // size):
        postgres.sql(
            server.database,
            f'UPDATE "lines" SET seq = seq + {size}, "updatedAt" = now(),'
            " posted = now(), status = 'I''m bored', mood = 'bored'",
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--times", type=int, default=30, help="queries per figure")
    parser.add_argument(
        "--old-rows", default="0,1000000,3000000", help="old accounts' sizes"
    )
    parser.add_argument("--migrate", type=int, default=20_000, help="old rows migrated")
    arguments = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="boredbot-bench-growth-"))
    postgres = Postgres()
    try:
        print("machine:", subprocess.check_output(["uname", "-srm"], text=True).strip())
        # The version before the ring, as it grows.
        old = ParseServer(postgres, "old", folder)
        old.start()
        _old_account(postgres, old)
        print("\nan account of the version before the ring (newest 20 by createdAt):")
        print(f"{'rows':>10} {'days':>6} {'page query':>12} {'class size':>11}")
        done = 0
        empty_ms = None
        for rows in (int(text) for text in arguments.old_rows.split(",")):
            if rows > done:
                _add_old_lines(postgres, old, done, rows)
                done = rows
            median = _median_ms(old, OLD_QUERY, arguments.times)
            empty_ms = median if empty_ms is None else empty_ms
            print(
                f"{rows:>10,} {rows / PER_DAY:>6.0f} {median:>9.1f} ms"
                f" {_size(postgres, old):>11}"
            )
        old.stop()

        # The ring after migration, then as months of lines go over it.
        ring = ParseServer(postgres, "ring", folder)
        ring.start()
        _old_account(postgres, ring)
        _add_old_lines(postgres, ring, 0, arguments.migrate)
        archive = folder / "archive.jsonl"
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "boredbot.provision", "--account", "updates",
             "--url", ring.instance.url, "--application-id",
             ring.instance.application_id, "--master-key-file", "-",
             "--archive", str(archive)],
            input=ring.instance.master_key + "\n", text=True, check=True,
            capture_output=True,
        )  # fmt: skip
        took = time.monotonic() - started
        removed = arguments.migrate - 1000
        print(
            f"\nmigration of {arguments.migrate:,} old rows to a ring of 1,000:"
            f" {took:.1f} s ({removed / took:,.0f} rows archived and deleted a"
            " second)"
        )
        postgres.sql(ring.database, 'VACUUM ANALYZE "lines"')
        target = 2 * (empty_ms or 0)
        print(
            "the ring (newest 20 by seq), target: within 2x of the empty"
            f" account's {empty_ms:.1f} ms, i.e. <= {target:.1f} ms, constant:"
        )
        heading = f"{'lines since':>12} {'days':>6} {'page query':>12}"
        print(f"{heading} {'class size':>11}  met")
        written = 0
        for lines in (0, 100_000, 1_000_000):
            if lines > written:
                _post_over_the_ring(postgres, ring, lines - written)
                written = lines
                postgres.sql(ring.database, 'VACUUM ANALYZE "lines"')
            median = _median_ms(ring, RING_QUERY, arguments.times)
            met = "yes" if median <= target else "NO"
            print(
                f"{lines:>12,} {lines / PER_DAY:>6.0f} {median:>9.1f} ms"
                f" {_size(postgres, ring):>11}  {met}"
            )
        ring.stop()
    finally:
        postgres.stop()


if __name__ == "__main__":
    main()
