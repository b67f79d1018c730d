"""``make bench``: the benchmarks that need nothing but this machine, one after another.

The Matrix ones start the same local Synapse the tests use (installed with the dev
extras); the check-in reminders to 1,000 people take several minutes, most of it
making the accounts and rooms. The others need PostgreSQL or more time and are run
by hand with the commands in bench/RESULTS.md (matrix_bench, matrix_e2ee_bench,
reliability, stats_queries, meals_bench, buddies_matching at full size).
"""

from __future__ import annotations

import subprocess
import sys

QUICK = (
    ["-m", "bench.crisis_detection"],
    ["bench/checkins_dispatch.py", "3000"],
    ["bench/checkins_reminders.py"],
    # Discord: 500 check-in prompts as DMs against the loopback server with Discord's limits
    # (the 10,000-DM figure in RESULTS.md is `--messages 10000 --modes adapter`).
    ["bench/discord_fanout.py", "--messages", "500"],
    ["bench/startup.py", "--rounds", "5"],
    ["bench/outbox_memory.py", "--rounds", "1"],
    ["bench/buddies_matching.py", "--quick"],
    # Matrix: the sync state's loop cost, then reminders to 1,000 people on the tests' Synapse.
    ["bench/matrix_sync_state.py"],
    ["bench/matrix_fanout.py", "--people", "1000", "--rounds", "2"],
    # Others told within a second, per adapter (Matrix needs Synapse: run by hand with
    # `--adapters recording,console,matrix,discord`, as in RESULTS.md).
    ["bench/told_within_a_second.py", "--rounds", "20", "--adapters", "recording,console,discord"],
)


def main() -> int:
    failed = 0
    for args in QUICK:
        print(f"\n$ python {' '.join(args)}", flush=True)
        failed += subprocess.run([sys.executable, *args], check=False).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
