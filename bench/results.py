"""The benchmark's results: one table on the terminal, one JSON document with the machine.

Targets are those of the issue "Benchmarks", for a million participants on a 2-core machine;
smaller sizes show the same columns so that growth per 10x can be read off, but a target is
only judged at the size it was set for.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

from bench.harness import SizeResult, Step

TARGET_SIZE = 1_000_000
MEMORY_LIMIT = 3 * 1024**3


@dataclass(frozen=True)
class Target:
    """A limit on a step's seconds, or on its ratio to the floor."""

    step: str
    limit: float
    of_floor: bool = False

    def text(self) -> str:
        return f"<= {self.limit:g}x floor" if self.of_floor else f"< {self.limit:g} s"

    def met(self, step: Step) -> bool:
        value = step.ratio if self.of_floor else step.seconds
        return value is not None and value < self.limit + (1e-9 if self.of_floor else 0)


TARGETS = {
    t.step: t
    for t in (
        Target("import evidence", 2.0, of_floor=True),
        Target("reconcile (first run)", 60.0),
        Target("reconcile (re-run, no change)", 20.0),
        Target("commissioner report: write xlsx", 1.5, of_floor=True),
        Target("progress: p99 under load", 0.1),
        Target("cli start: outcomes --help", 0.5),
        Target("cli start: spec validate", 0.5),
    )
}


def verdict(participants: int, step: Step) -> str:
    """'ok' or 'MISSED' at the target size (memory included); '' elsewhere."""
    if participants != TARGET_SIZE:
        return ""
    target = TARGETS.get(step.name)
    ok = step.peak_rss < MEMORY_LIMIT and (target is None or target.met(step))
    return "ok" if ok else "MISSED"


def machine() -> dict[str, Any]:
    """Cores, memory, CPU, Python and the date of the run."""
    memory = 0
    cpu = platform.processor()
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [line for line in cpuinfo.read_text().splitlines() if line.startswith("model name")]
        cpu = names[0].split(":", 1)[1].strip() if names else cpu
    return {
        "cores": os.cpu_count(),
        "memory_bytes": memory,
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def table(results: Sequence[SizeResult]) -> str:
    """The results as one fixed-width table."""
    header = (
        f"{'participants':>12} {'step':<34} {'seconds':>9} {'peak MB':>8} "
        f"{'floor s':>8} {'x floor':>7} {'target':<14} {'':<6} note"
    )
    lines = [header, "-" * len(header)]
    for size in results:
        for step in size.steps:
            target = TARGETS.get(step.name)
            floor = f"{step.floor_seconds:8.2f}" if step.floor_seconds else f"{'':>8}"
            ratio = f"{step.ratio:7.2f}" if step.ratio else f"{'':>7}"
            lines.append(
                f"{size.participants:>12,} {step.name:<34} {step.seconds:>9.3f} "
                f"{step.peak_rss / 1e6:>8.0f} {floor} {ratio} "
                f"{target.text() if target else '':<14} "
                f"{verdict(size.participants, step):<6} {_note(step)}"
            )
    return "\n".join(lines)


def growth(results: Sequence[SizeResult]) -> str:
    """How each step's seconds grow from one size to the next (x per 10x participants when
    the sizes are ten apart): 10 is linear, under 10 is fixed costs still counting."""
    if len(results) < 2:
        return ""
    pairs = list(pairwise(results))
    heads = " ".join(f"{f'{a.participants:,}->{b.participants:,}':>20}" for a, b in pairs)
    lines = [f"{'growth of seconds':<34} {heads}"]
    for name in [s.name for s in results[0].steps]:
        cells = []
        for small, large in pairs:
            before = next((s for s in small.steps if s.name == name), None)
            after = next((s for s in large.steps if s.name == name), None)
            if before is None or after is None or before.seconds <= 0:
                cells.append(f"{'':>20}")
            else:
                cells.append(f"{after.seconds / before.seconds:>19.1f}x")
        lines.append(f"{name:<34} {' '.join(cells)}")
    return "\n".join(lines)


def _note(step: Step) -> str:
    found = step.found
    if "p99_ms" in found:
        return (
            f"{found['per_second']} req/s, p50 {found['p50_ms']} ms, p99 {found['p99_ms']} ms, "
            f"{found['clients']} clients, {found['requests']} requests, "
            f"{found['failures']} failed"
        )
    if "lines" in found:
        return f"{found['lines']:,} lines"
    if "postings" in found:
        return f"{found['postings']:,} postings"
    if "summary" in found:
        return str(found["summary"])
    return ""


def document(results: Sequence[SizeResult]) -> dict[str, Any]:
    """The results as a JSON-ready document, with the machine they ran on."""
    return {
        "machine": machine(),
        "targets_at": TARGET_SIZE,
        "sizes": [
            {
                "participants": size.participants,
                "evidence": size.evidence,
                "generate_seconds": round(size.generate_seconds, 3),
                "steps": [
                    {
                        "step": step.name,
                        "seconds": round(step.seconds, 4),
                        "peak_rss_bytes": step.peak_rss,
                        "floor_seconds": (
                            None if step.floor_seconds is None else round(step.floor_seconds, 4)
                        ),
                        "ratio_to_floor": None if step.ratio is None else round(step.ratio, 3),
                        "target": TARGETS[step.name].text() if step.name in TARGETS else None,
                        "verdict": verdict(size.participants, step) or None,
                        "found": step.found,
                    }
                    for step in size.steps
                ],
            }
            for size in results
        ],
    }


def write_json(results: Sequence[SizeResult], out: Path) -> None:
    """Write the results document to `out` (folders made as needed)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document(results), indent=2) + "\n", encoding="utf-8")
