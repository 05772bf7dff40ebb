"""The data generator: same seed same bytes, a realistic funnel, valid dates, exact columns.

Expectations come from the contracts (REAL_CONTRACTS.md: Ambition's funnel 370 -> 328 -> 288 ->
235 -> 201; the spec's gaps, windows and eligibility), checked row by row with the spec model's
own scalar date arithmetic, not with the generator's vectorised code.
"""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.__main__ import main as bench_main
from contract_specs.loader import load_spec, parse_spec_text
from contract_specs.model import AgeAtStart, ContractSpec, Duration, Flag
from ledger.domain.entitlement import compute_entitlement, facts_from_rows
from synthetic.funnel import PlantDrop
from synthetic.generate import GeneratedData, Shares, generate, parse_size, write_csv
from synthetic.ids import numbered
from synthetic.profiles import Profile

EXAMPLES = Path(__file__).resolve().parents[2] / "contract_specs" / "examples"
FCF = EXAMPLES / "fair-chance-fund-ambition.yaml"
DWP = EXAMPLES / "dwp-innovation-fund-round-1.yaml"
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@pytest.fixture(scope="module")
def fcf() -> ContractSpec:
    return load_spec(FCF)


@pytest.fixture(scope="module")
def small(fcf: ContractSpec) -> GeneratedData:
    return generate(fcf, 1_500, seed=7, shares=Shares(flawed=0.05))


@pytest.fixture(scope="module")
def large(fcf: ContractSpec) -> GeneratedData:
    return generate(fcf, 20_000)


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle))


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _dates(values: pd.Series) -> list[date]:
    return [d.date() for d in pd.to_datetime(values)]


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not(
    fcf: ContractSpec, tmp_path: Path
) -> None:
    first = write_csv(generate(fcf, 800, seed=3), tmp_path / "a")
    again = write_csv(generate(fcf, 800, seed=3), tmp_path / "b")
    other = write_csv(generate(fcf, 800, seed=4), tmp_path / "c")
    for name, path in first.items():
        assert path.read_bytes() == again[name].read_bytes(), name
    assert first["evidence"].read_bytes() != other["evidence"].read_bytes()


def test_files_have_exactly_the_columns_of_the_design(
    small: GeneratedData, fcf: ContractSpec, tmp_path: Path
) -> None:
    paths = write_csv(small, tmp_path)
    attributes = [a.name for a in fcf.attributes]
    assert _header(paths["participants"]) == [
        "participant_id",
        "cohort",
        "provider",
        "start_date",
        *attributes,
    ]
    assert _header(paths["evidence"]) == [
        "evidence_id",
        "participant_id",
        "metric",
        "achieved_on",
        "evidence_type",
        "quantity",
        "reference",
    ]
    assert _header(paths["decisions"]) == ["evidence_id", "decision", "reason"]
    assert _header(paths["revocations"]) == ["evidence_id", "decision", "reason"]
    assert "submitted_on" not in _header(paths["evidence"])
    assert _header(paths["submitted_on"]) == ["evidence_id", "submitted_on"]


def test_csv_values_are_iso_dates_and_true_false(small: GeneratedData, tmp_path: Path) -> None:
    paths = write_csv(small, tmp_path)
    with paths["participants"].open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 1_500
    assert all(ISO_DATE.match(r["start_date"]) and ISO_DATE.match(r["date_of_birth"]) for r in rows)
    assert {r["in_priority_need"] for r in rows} == {"false"}
    with paths["evidence"].open(newline="", encoding="utf-8") as handle:
        evidence = list(csv.DictReader(handle))
    assert all(ISO_DATE.match(r["achieved_on"]) for r in evidence)
    assert {r["quantity"] for r in evidence} == {""}  # no FCF metric counts a measure


def test_participants_are_eligible_and_start_inside_the_enrolment_window(
    small: GeneratedData, fcf: ContractSpec
) -> None:
    cohort = fcf.cohorts[0]
    people = small.participants
    assert set(people["cohort"]) == {cohort.id}
    assert set(people["provider"]) == {"ambition"}
    assert people["participant_id"].is_unique
    starts = _dates(people["start_date"])
    born = _dates(people["date_of_birth"])
    assert all(cohort.enrolment_from <= s <= cohort.enrolment_to for s in starts)
    ages = {_age(b, s) for b, s in zip(born, starts, strict=True)}
    assert ages == set(range(18, 25))  # every age of the 18-24 band, and no other
    assert not people["in_priority_need"].any()


def test_an_ineligible_share_fails_exactly_the_planted_participants(fcf: ContractSpec) -> None:
    data = generate(fcf, 2_000, seed=11, shares=Shares(ineligible=0.1))
    planted = set(data.planted.loc[data.planted["file"] == "participants", "id"])
    assert 140 <= len(planted) <= 260  # about 10% of 2,000
    rules = fcf.cohorts[0].eligibility
    failing = set()
    for row in data.participants.itertuples(index=False):
        start, born = row.start_date.date(), row.date_of_birth.date()
        for rule in rules:
            if isinstance(rule, AgeAtStart) and not (
                (rule.min or 0) <= _age(born, start) <= (rule.max or 200)
            ):
                failing.add(row.participant_id)
            if isinstance(rule, Flag) and bool(row.in_priority_need) != rule.value:
                failing.add(row.participant_id)
    assert failing == planted


def test_about_four_evidence_rows_per_participant(large: GeneratedData) -> None:
    assert 3.5 <= len(large.evidence) / len(large.participants) <= 4.5
    assert large.evidence["evidence_id"].is_unique


def test_accommodation_funnel_follows_ambition(large: GeneratedData, fcf: ContractSpec) -> None:
    # The sustainment metrics are those whose prerequisite is the entry, in order of the gap.
    entry = next(m for m in fcf.metrics if m.id == "accommodation_entry")
    ladder = sorted(
        (m for m in fcf.metrics if [p.metric for p in m.prerequisites] == [entry.id]),
        key=lambda m: m.prerequisites[0].min_gap.months,
    )
    assert len(ladder) == 4
    reached = large.evidence.groupby("metric", observed=True)["participant_id"].nunique()
    counts = [reached[entry.id]] + [reached[m.id] for m in ladder]
    ambition = [370, 328, 288, 235, 201]
    for step in range(1, 5):
        expected = ambition[step] / ambition[step - 1]
        assert counts[step] / counts[step - 1] == pytest.approx(expected, abs=0.025), step
    # each sustained participant also holds every earlier step
    holders = large.evidence.groupby("metric", observed=True)["participant_id"].agg(set)
    for earlier, later in zip([entry, *ladder], ladder, strict=False):
        assert holders[later.id] <= holders[earlier.id]


def _prerequisite_failures(data: GeneratedData, spec: ContractSpec) -> dict[str, bool]:
    """For each row of a metric with prerequisites: whether some prerequisite is unmet by the
    rows that were not planted wrong (Duration.before, the spec model's own arithmetic)."""
    planted = set(data.planted["id"])
    valid = data.evidence[~data.evidence["evidence_id"].isin(planted)]
    achieved: dict[tuple[str, str], list[date]] = {}
    for row in valid.itertuples(index=False):
        achieved.setdefault((row.participant_id, row.metric), []).append(row.achieved_on.date())
    failures = {}
    for row in data.evidence.itertuples(index=False):
        metric = spec.metric(row.metric)
        if not metric.prerequisites:
            continue
        day = row.achieved_on.date()
        failures[row.evidence_id] = any(
            not any(
                d <= p.min_gap.before(day) for d in achieved.get((row.participant_id, p.metric), [])
            )
            for p in metric.prerequisites
        )
    return failures


def test_every_valid_row_respects_its_prerequisites_gaps(
    small: GeneratedData, fcf: ContractSpec
) -> None:
    failures = _prerequisite_failures(small, fcf)
    planted = dict(zip(small.planted["id"], small.planted["flaw"], strict=True))
    assert len(failures) > 1_000
    assert not [e for e, failed in failures.items() if failed and e not in planted]
    # and the rows planted too early really are too early
    early = [e for e, flaw in planted.items() if flaw == "too_early"]
    assert len(early) > 20
    assert all(failures[e] for e in early)


def test_windows_and_conditions_of_another_contract(tmp_path: Path) -> None:
    spec = load_spec(DWP)
    data = generate(spec, 3_000, seed=5)
    people = data.participants.set_index("participant_id")
    school = data.evidence[data.evidence["metric"].isin(["improved_behaviour"])]
    assert len(school) > 20
    for row in school.itertuples(index=False):
        person = people.loc[row.participant_id]
        assert _age(person.date_of_birth.date(), person.start_date.date()) in (14, 15)
    assert data.evidence["achieved_on"].max().date() <= date(2015, 9, 30)


WINDOWED = """
spec_language: 1
contract: {id: windowed, name: W, currency: GBP, payment_frequency: quarterly,
           service_start: 2020-01-01}
parties:
  - {id: la, role: commissioner, name: LA}
  - {id: p1, role: provider, name: P1}
  - {id: p2, role: provider, name: P2}
cohorts:
  - {id: c1, name: C1, enrolment: {from: 2020-01-01, to: 2020-06-30}}
measures:
  - {id: earnings, name: Earnings, unit: GBP, evidence_types: [payslip]}
metrics:
  - id: job_entry
    name: Job entry
    window: {months: 6}
    tariff: [{from: 2020-01-01, price: "100.00"}]
  - id: earned_768
    name: Earned 768
    threshold: {measure: earnings, quantity: "768"}
    tariff: [{from: 2020-01-01, price: "100.00"}]
  - id: earned_1631
    name: Earned 1631
    threshold: {measure: earnings, quantity: "1631"}
    tariff: [{from: 2020-01-01, price: "100.00"}]
payers: [{party: la}]
payer_shares: [{from: 2020-01-01, shares: {la: "100"}}]
"""


def test_windows_thresholds_and_providers_of_a_small_spec() -> None:
    spec = parse_spec_text(WINDOWED)
    profiles = {
        "job_entry": Profile(0.6, (0, 200)),
        "earned_768": Profile(0.5, (0, 200)),
        "earned_1631": Profile(0.5, (0, 200)),
    }
    data = generate(spec, 2_000, seed=9, shares=Shares(flawed=0.05), profiles=profiles)
    assert set(data.participants["provider"]) == {"p1", "p2"}
    people = data.participants.set_index("participant_id")["start_date"]
    planted = dict(zip(data.planted["id"], data.planted["flaw"], strict=True))
    jobs = data.evidence[data.evidence["metric"] == "job_entry"]
    for row in jobs.itertuples(index=False):
        inside = row.achieved_on.date() <= Duration(months=6).after(
            people[row.participant_id].date()
        )
        assert inside == (planted.get(row.evidence_id) != "outside_window")
    assert 30 <= sum(f == "outside_window" for f in planted.values()) <= 120
    # quantities are evidence of the measure, and reach each threshold exactly, lower first
    earnings = data.evidence[data.evidence["metric"] == "earnings"]
    assert set(earnings["evidence_type"]) == {"payslip"}
    totals = earnings.groupby("participant_id", observed=True)["quantity"].agg(
        lambda q: sorted(float(v) for v in q)
    )
    assert {tuple(v) for v in totals} == {(768.0,), (768.0, 863.0)}


def test_evidence_is_sometimes_late_rejected_revoked_or_pending(large: GeneratedData) -> None:
    evidence = large.evidence.merge(large.submitted_on, on="evidence_id")
    assert (evidence["submitted_on"] >= evidence["achieved_on"]).all()
    late = evidence["submitted_on"].dt.to_period("Q") > evidence["achieved_on"].dt.to_period("Q")
    assert 0.04 <= late.mean() <= 0.10
    decided = large.decisions.set_index("evidence_id")["decision"]
    shares = decided.value_counts(normalize=True)
    assert set(shares[shares > 0].index) == {"verified", "rejected"}
    assert 0.01 <= shares["rejected"] <= 0.06
    pending = 1 - len(decided) / len(large.evidence)
    assert 0.02 <= pending <= 0.08
    # only verified evidence can be revoked, so revocations come second, on verified rows
    revoked = large.revocations["evidence_id"]
    assert set(large.revocations["decision"]) == {"revoked"}
    assert (decided[revoked] == "verified").all()
    assert 0.003 <= len(revoked) / len(large.evidence) <= 0.03
    refused = pd.concat(
        [large.decisions[large.decisions["decision"] == "rejected"], large.revocations]
    )
    assert (refused["reason"].str.len() > 0).all()
    assert set(decided.index) <= set(large.evidence["evidence_id"])


def test_a_planted_drop_lowers_one_providers_rate_from_the_quarter(fcf: ContractSpec) -> None:
    metric = "accommodation_sustained_3m"
    drop = PlantDrop("ambition", metric, "2015-Q4", 40)
    base = generate(fcf, 20_000, extra_providers=1)
    dropped = generate(fcf, 20_000, extra_providers=1, plant_drop=drop)

    def rate(data: GeneratedData, provider: str, late: bool) -> float:
        rows = data.evidence.merge(data.participants[["participant_id", "provider"]])
        rows = rows[rows["provider"] == provider]
        entries = rows[rows["metric"] == "accommodation_entry"]
        # the quarter of the day the 3 months fall due
        due = entries["achieved_on"] + pd.DateOffset(months=3)
        cohort = set(entries.loc[(due >= "2015-10-01") == late, "participant_id"])
        sustained = set(rows.loc[rows["metric"] == metric, "participant_id"])
        return len(cohort & sustained) / len(cohort)

    assert rate(dropped, "ambition", late=True) == pytest.approx(
        rate(base, "ambition", late=True) * 0.6, abs=0.03
    )
    assert rate(dropped, "ambition", late=False) == rate(base, "ambition", late=False)
    assert rate(dropped, "ambition-extra-1", late=True) == rate(base, "ambition-extra-1", True)


def _status(data: GeneratedData) -> pd.Series:
    """Each row's status once both decision files are imported (pending when undecided)."""
    status = pd.Series("pending", index=data.evidence["evidence_id"].astype(str))
    status[data.decisions["evidence_id"]] = data.decisions["decision"].astype(str).to_numpy()
    status[data.revocations["evidence_id"]] = "revoked"
    return status


def test_the_engine_pays_no_planted_row(fcf: ContractSpec) -> None:
    data = generate(fcf, 1_500, seed=2, shares=Shares(flawed=0.05, ineligible=0.05))
    ineligible = set(data.planted.loc[data.planted["file"] == "participants", "id"])
    people = [
        {k: (v.date() if isinstance(v, pd.Timestamp) else v) for k, v in row.items()}
        for row in data.participants.astype({"cohort": str, "provider": str}).to_dict("records")
        if row["participant_id"] not in ineligible  # refused at enrolment
    ]
    evidence = data.evidence.drop(columns="reference").astype(str).assign(quantity="")
    evidence["status"] = _status(data).to_numpy()
    facts = facts_from_rows(fcf, people, evidence.to_dict("records"), [])
    reasons = compute_entitlement(fcf, facts).not_payable.set_index("evidence_id")["reason"]
    planted = data.planted.loc[data.planted["file"] == "evidence", "id"]
    assert len(planted) > 50
    assert set(planted) <= set(reasons.index)
    # a verified row of an enrolled participant planted too early fails on its gap alone
    rows = evidence.set_index("evidence_id")
    early = data.planted.loc[data.planted["flaw"] == "too_early", "id"]
    counted = (rows["status"][early] == "verified") & ~rows["participant_id"][early].isin(
        ineligible
    )
    assert set(reasons[early[counted.to_numpy()]]) == {"prerequisite_not_met"}


@pytest.mark.parametrize(
    ("text", "size"), [("10k", 10_000), ("100k", 100_000), ("1M", 1_000_000), ("250", 250)]
)
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["0", "-5", "ten", "1.5k"])
def test_bad_sizes_say_what_to_write(text: str) -> None:
    with pytest.raises(ValueError, match="10k, 100k, 1m"):
        parse_size(text)


def test_the_bench_command_prints_one_row_per_size(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_main(["--spec", str(FCF), "--size", "300", "--size", "500"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[2:]]
    assert [row[0] for row in rows] == ["300", "500"]


def test_the_bench_command_refuses_a_bad_drop(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        bench_main(["--size", "300", "--drop", "ambition:accommodation_sustained_3m"])
    assert exit_.value.code == 2
    assert "PROVIDER:METRIC:QUARTER:PERCENT" in capsys.readouterr().err


def test_a_drop_that_does_not_fit_the_spec_names_every_problem(fcf: ContractSpec) -> None:
    drop = PlantDrop("nobody", "no_such_metric", "2016-13", 150)
    with pytest.raises(ValueError) as error:
        generate(fcf, 100, plant_drop=drop)
    message = str(error.value)
    for place in ("provider 'nobody'", "metric 'no_such_metric'", "from_quarter", "percent"):
        assert place in message


def test_ids_are_the_prefix_and_the_zero_padded_number() -> None:
    numbers = np.array([1, 9, 10, 4_321, 9_999_999])
    assert numbered("E", numbers, 7).tolist() == [f"E{n:07d}" for n in numbers.tolist()]


def test_a_start_quarter_split_places_starts_in_the_weighted_quarters(fcf: ContractSpec) -> None:
    data = generate(fcf, 2_000, start_quarter_split=[0, 1, 0, 3])
    quarters = data.participants["start_date"].dt.quarter.value_counts(normalize=True)
    assert set(quarters.index) == {2, 4}
    assert quarters[4] == pytest.approx(0.75, abs=0.04)
