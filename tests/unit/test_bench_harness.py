"""The benchmark harness at a tiny size, so that it keeps working between benchmark runs.

No timing is asserted (timings belong in bench/, and CI machines vary): only that every step
ran in its own process, found what the generated data says it should, and was reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.harness import Options, SizeResult, Step, run_size
from bench.load import LoadResult
from bench.results import TARGET_SIZE, Target, document, table, verdict, write_json

STEPS = (
    "import participants",
    "import evidence",
    "import decisions",
    "reconcile (first run)",
    "reconcile (re-run, no change)",
    "commissioner report: build",
    "commissioner report: write xlsx",
    "progress: first request",
    "progress: p99 under load",
    "cli start: outcomes --help",
    "cli start: spec validate",
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> SizeResult:
    folder = tmp_path_factory.mktemp("bench")
    # the load ends when its 20 requests are sent, never on the clock: the time budget is far
    # beyond what 20 requests take, so a busy machine cannot change what is asserted
    options = Options(providers=2, clients=2, requests=20, seconds=600)
    return run_size(500, folder, options, log=lambda _message: None)


def test_every_step_runs_in_a_process_of_its_own_and_is_measured(tiny: SizeResult) -> None:
    steps = {s.name: s for s in tiny.steps}
    assert tuple(steps) == STEPS
    for step in tiny.steps:
        # measured, whatever the numbers (how fast is for bench/, not for a test)
        assert isinstance(step.seconds, float) and step.seconds >= 0, step.name
        assert step.peak_rss > 0, step.name
    # the two steps measured against a floor (the same work without the ledger) have one
    floors = {name for name, step in steps.items() if step.floor_seconds is not None}
    assert floors == {"import evidence", "commissioner report: write xlsx"}


def test_steps_find_what_the_generated_data_holds(tiny: SizeResult) -> None:
    steps = {s.name: s for s in tiny.steps}
    assert tiny.participants == 500
    assert steps["import participants"].found["summary"] == "500 new, 0 unchanged"
    assert steps["import evidence"].found["summary"] == f"{tiny.evidence} new, 0 unchanged"
    first = steps["reconcile (first run)"].found["postings"]
    assert first > 0
    assert steps["reconcile (re-run, no change)"].found["postings"] == 0
    # every line of the report is one of the first run's postings to the payer it is for
    assert 0 < steps["commissioner report: build"].found["lines"] < first
    load = steps["progress: p99 under load"].found
    assert load["failures"] == 0
    assert load["requests"] == 20


def test_the_table_and_json_name_every_step_and_the_machine(
    tiny: SizeResult, tmp_path: Path
) -> None:
    text = table([tiny])
    assert all(name in text for name in STEPS)
    out = tmp_path / "latest.json"
    write_json([tiny], out)
    saved = json.loads(out.read_text())
    assert saved["machine"]["cores"] >= 1
    assert saved["machine"]["memory_bytes"] > 0
    assert [s["step"] for s in saved["sizes"][0]["steps"]] == list(STEPS)
    assert document([tiny])["targets_at"] == TARGET_SIZE


def test_targets_are_judged_only_at_a_million_and_memory_counts() -> None:
    quick = Step("reconcile (first run)", 59.0, 2**30)
    assert verdict(TARGET_SIZE, quick) == "ok"
    assert verdict(TARGET_SIZE, Step("reconcile (first run)", 61.0, 2**30)) == "MISSED"
    assert verdict(TARGET_SIZE, Step("reconcile (first run)", 1.0, 4 * 2**30)) == "MISSED"
    assert verdict(10_000, Step("reconcile (first run)", 600.0, 2**30)) == ""
    ratio = Target("import evidence", 2.0, of_floor=True)
    assert ratio.met(Step("import evidence", 3.9, 0, floor_seconds=2.0))
    assert not ratio.met(Step("import evidence", 4.1, 0, floor_seconds=2.0))
    assert not ratio.met(Step("import evidence", 1.0, 0))  # no floor measured: not met


def test_latency_quantiles_are_nearest_rank() -> None:
    result = LoadResult(100, 0, 2.0, tuple(i / 1000 for i in range(1, 101)))
    assert result.quantile(0.99) == 0.099
    assert result.quantile(0.5) == 0.050
    assert result.per_second == 50.0
    assert LoadResult(0, 3, 1.0, ()).quantile(0.99) == 0.0
