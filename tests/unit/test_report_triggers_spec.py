"""The optional `triggers:` section of a spec: built into typed triggers, and checked."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from contract_specs.loader import check_spec_text, parse_spec_text
from contract_specs.model import Trigger

BASE = (Path(__file__).parents[1] / "fixtures" / "specs" / "job_outcomes.yaml").read_text()


def with_triggers(block: str) -> str:
    return BASE.rstrip("\n") + "\ntriggers:\n" + block


def test_a_trigger_is_built_with_its_defaults() -> None:
    spec = parse_spec_text(
        with_triggers(
            "  - {id: low-sustainment, name: Sustained jobs below 70% of entries,\n"
            "     metric: job_sustained_13w, of: job_entry, below_percent: '70'}\n"
        )
    )
    assert spec.triggers == (
        Trigger(
            id="low-sustainment",
            name="Sustained jobs below 70% of entries",
            metric="job_sustained_13w",
            of="job_entry",
            below_percent=Decimal("70"),
        ),
    )
    assert spec.triggers[0].consecutive_periods == 1


def test_a_spec_without_triggers_has_none() -> None:
    assert parse_spec_text(BASE).triggers == ()


def test_every_problem_of_the_triggers_is_found_at_its_place() -> None:
    checked = check_spec_text(
        with_triggers(
            "  - {id: t1, name: Unknown metric, metric: job_sustaind, of: job_entry,"
            " below_percent: '70'}\n"
            "  - {id: t1, name: Itself, metric: job_entry, of: job_entry, above_percent: '120'}\n"
            "  - {id: t3, name: No bound, metric: job_sustained_13w, of: job_entry}\n"
            "  - {id: t4, name: Both, metric: job_sustained_13w, of: job_entry,"
            " below_percent: '50', above_percent: '90', consecutive_periods: 0}\n"
        )
    )
    places = sorted((f.path, f.message.split(":")[0]) for f in checked.findings if f.is_error)
    paths = [p for p, _ in places]
    assert "$.triggers[0].metric" in paths  # unknown metric, with a suggestion
    assert "$.triggers[1].id" in paths  # duplicate id
    assert "$.triggers[1].of" in paths  # the metric itself
    assert "$.triggers[1].above_percent" in paths  # 120 is not a reachable rate
    assert "$.triggers[2]" in paths  # neither bound
    assert "$.triggers[3]" in paths  # both bounds
    assert "$.triggers[3].consecutive_periods" in paths  # schema: at least 1
    assert checked.spec is None
