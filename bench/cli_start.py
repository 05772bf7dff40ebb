"""The `cli start` rows: how long `outcomes --help` and `outcomes spec validate FILE` take, as a
user waits for them (a fresh interpreter each time), the median of several runs."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

RUNS = 5
_MAIN = "from api.cli import main; main()"


def median_start(args: list[str], runs: int = RUNS) -> tuple[float, int]:
    """Median wall seconds of `outcomes ARGS` run `runs` times, each in a new process, and the
    largest peak RSS (bytes) of those processes."""
    times: list[float] = []
    peak = 0
    for _ in range(runs):
        began = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-c", _MAIN, *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        times.append(time.perf_counter() - began)
        if child.returncode != 0:
            raise RuntimeError(f"outcomes {' '.join(args)} exited {child.returncode}")
        peak = max(peak, usage.ru_maxrss * 1024)  # kilobytes on Linux
    return statistics.median(times), peak


def cli_start_rows(spec_path: Path) -> list[tuple[str, tuple[float, int]]]:
    """(row name, (median seconds, peak RSS)) for `--help` and `spec validate` of the spec."""
    return [
        ("cli start: outcomes --help", median_start(["--help"])),
        ("cli start: spec validate", median_start(["spec", "validate", str(spec_path)])),
    ]
