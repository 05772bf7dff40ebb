"""The benchmark of one size: generate the data, then run each step in a process of its own.

Steps, in the order a quarter end meets them: enrol participants, import evidence (and its
floor), import the verifier's decisions, the first reconciliation of a period and a re-run with
nothing changed, the commissioner's payment report of that period as xlsx (and its floor), and
the provider progress endpoint under concurrent load. Generating and writing the data files is
setup, timed for information only.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.bench_spec import write_bench_spec
from bench.cli_start import cli_start_rows
from bench.load import get_once, run_load
from synthetic.generate import generate, write_csv

PERIOD = "2015-Q1"
PAYER = "dclg"
PROVIDER = "ambition"
# Fewer people start in the first quarter (a programme ramps up), so that its first
# reconciliation posts about 200,000 lines per payer at a million participants.
START_QUARTER_SPLIT = (0.20, 0.25, 0.27, 0.28)
MOMENTS = {
    "loaded_at": "2014-12-01T00:00:00",
    "imported_at": "2018-01-15T00:00:00",
    "decided_at": "2018-01-20T00:00:00",
    "revoked_at": "2018-01-25T00:00:00",
    "as_of": "2018-02-01T00:00:00",
}


@dataclass(frozen=True)
class Options:
    """How to run: the seed, providers declared, and the load on the progress endpoint."""

    seed: int = 20151
    providers: int = 20
    clients: int = 16
    requests: int = 2000
    seconds: float = 30.0


@dataclass
class Step:
    """One measured step: seconds, peak RSS (bytes), the floor's seconds, and what it found."""

    name: str
    seconds: float
    peak_rss: int
    floor_seconds: float | None = None
    found: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        return self.seconds / self.floor_seconds if self.floor_seconds else None


@dataclass
class SizeResult:
    """Every step of one size, and the shape of the data it ran on."""

    participants: int
    evidence: int
    generate_seconds: float
    steps: list[Step] = field(default_factory=list)


def run_child(step: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run `python -m bench.child STEP` and return its JSON result (raise if it failed)."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.child", step, json.dumps(args)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench step {step} failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _step(name: str, result: dict[str, Any], part: str = "total") -> Step:
    return Step(name, result["seconds"][part], result["peak_rss"], found=result["found"])


def run_size(size: int, folder: Path, options: Options, log: Any = print) -> SizeResult:
    """Generate `size` participants into `folder` and measure every step on a fresh database."""
    spec_path = write_bench_spec(folder, options.providers)
    began = time.perf_counter()
    data = generate(
        spec_path,
        size,
        options.seed,
        START_QUARTER_SPLIT,  # the bench spec declares every provider itself
    )
    files = write_csv(data, folder / "data", sidecars=False)
    result = SizeResult(len(data.participants), len(data.evidence), time.perf_counter() - began)
    del data
    database = folder / "ledger.sqlite"
    common = {"database_url": f"sqlite:///{database}", **MOMENTS}
    log(f"  {size:,}: data generated in {result.generate_seconds:.1f} s")
    setup = run_child("setup", {**common, "spec": str(spec_path), "provider": PROVIDER})["found"]
    common["contract_id"] = setup["contract_id"]

    def measure(name: str, step: str, extra: dict[str, Any], part: str = "total") -> Step:
        measured = _step(name, run_child(step, {**common, **extra}), part)
        result.steps.append(measured)
        log(f"  {size:,}: {name}: {measured.seconds:.2f} s")
        return measured

    measure("import participants", "participants", {"file": str(files["participants"])})
    imported = measure("import evidence", "evidence", {"file": str(files["evidence"])})
    floor = run_child(
        "evidence_floor",
        {"file": str(files["evidence"]), "database": str(folder / "floor.sqlite")},
    )
    imported.floor_seconds = floor["seconds"]["total"]
    (folder / "floor.sqlite").unlink()
    measure(
        "import decisions",
        "decisions",
        {"file": str(files["decisions"]), "revocations": str(files["revocations"])},
    )
    period = {"period": PERIOD}
    measure("reconcile (first run)", "reconcile", period)
    measure("reconcile (re-run, no change)", "reconcile", period)
    report_args = {**period, "payer": PAYER, "out": str(folder / "report.xlsx")}
    both = run_child("report", {**common, **report_args})
    result.steps.append(_step("commissioner report: build", both, "build"))
    written = _step("commissioner report: write xlsx", both, "write")
    floor = run_child("report_floor", {**common, **report_args, "out": str(folder / "floor.xlsx")})
    written.floor_seconds = floor["seconds"]["write"]
    result.steps.append(written)
    log(f"  {size:,}: commissioner report ({both['found']['lines']:,} lines) done")
    result.steps.extend(_progress(common, setup["token"], folder, options))
    for name, (seconds, peak) in cli_start_rows(spec_path):
        result.steps.append(Step(name, seconds, peak))
        log(f"  {size:,}: {name}: {seconds:.2f} s")
    return result


def free_port() -> int:
    """A TCP port on the loopback interface nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _progress(common: dict[str, Any], token: str, folder: Path, options: Options) -> list[Step]:
    """Serve the API (the product's `outcomes serve`) and load the provider progress route."""
    port = free_port()
    env = {**os.environ, "OUTCOMES_DATABASE_URL": common["database_url"]}
    command = "from api.cli import main; main()"
    with (folder / "serve.log").open("w") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-c",
                command,
                "serve",
                "--no-scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(port, server)
        path = f"/api/contracts/{common['contract_id']}/progress?period={PERIOD}"
        status, cold = get_once(port, path, token)
        if status != 200:
            raise RuntimeError(f"progress answered {status}: see {folder / 'serve.log'}")
        load = run_load(port, path, token, options.clients, options.requests, options.seconds)
        peak = _peak_rss(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    found = {
        "requests": load.requests,
        "failures": load.failures,
        "per_second": round(load.per_second, 1),
        "p50_ms": round(load.median * 1000, 1),
        "p99_ms": round(load.quantile(0.99) * 1000, 1),
        "cold_ms": round(cold * 1000, 1),
        "clients": options.clients,
    }
    return [
        Step("progress: first request", cold, peak, found={}),
        Step("progress: p99 under load", load.quantile(0.99), peak, found=found),
    ]


def _wait_until_up(port: int, server: subprocess.Popen[bytes], limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the API server stopped at start (exit {server.returncode})")
        try:
            status, _ = get_once(port, "/health", "", timeout=5)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the API server did not answer /health within a minute")


def _peak_rss(pid: int) -> int:
    """A running process's RSS high-water mark (VmHWM in /proc, Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def run_sizes(sizes: Sequence[int], root: Path, options: Options) -> list[SizeResult]:
    """Every size in turn, each in its own folder under `root`."""
    return [run_size(size, root / str(size), options) for size in sizes]
