"""The contracts a history runs under: the example specs, or one drawn at random within the schema.

A drawn contract is written as spec YAML, the way an author writes one, and loaded through the
product's own loader (`load_spec_file`: schema and every check); it always holds the spec
language's hardest shapes with drawn numbers: dated tariffs and payer shares, a capped top-up
payer (a commitment), count and amount caps on a metric, a per-participant and a contract cap,
a prerequisite with a gap, a threshold reached from a measure, and a cohort-level result.
Amending it draws new numbers for the same contract (the ids stay, so the facts still fit).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from hypothesis import strategies as st

EXAMPLES = sorted((Path(__file__).parents[2] / "contract_specs" / "examples").glob("*.yaml"))
CONTRACT_ID = "sim-drawn"


@dataclass(frozen=True)
class Terms:
    """The numbers a drawn contract is made of (minor units are pence; money as text)."""

    monthly: bool
    capacity: int
    job_price: str
    job_price_later: str | None  # from 2015-07-01
    job_count_cap: int | None
    sustain_gap_days: int
    nqf_price: str
    nqf_amount_cap: str | None
    threshold: str
    shares_first: int  # dwp's percent from service start; topup has the rest
    shares_later: int | None  # dwp's percent from 2015-10-01
    topup_commitment: str | None
    per_participant: str | None
    contract_cap: str | None
    cohort_price: str
    nqf_automatic: bool = False
    version: int = 1

    def text(self) -> str:
        """The spec YAML of these terms."""
        later_job = (
            f'\n      - {{from: 2015-07-01, price: "{self.job_price_later}"}}'
            if self.job_price_later
            else ""
        )
        job_caps = f"\n    caps: {{count: {self.job_count_cap}}}" if self.job_count_cap else ""
        nqf_caps = f'\n    caps: {{amount: "{self.nqf_amount_cap}"}}' if self.nqf_amount_cap else ""
        commitment = f', commitment: "{self.topup_commitment}"' if self.topup_commitment else ""
        shares = _shares("2015-01-01", self.shares_first)
        if self.shares_later is not None:
            shares += "\n" + _shares("2015-10-01", self.shares_later)
        automatic = "\n    verification: automatic" if self.nqf_automatic else ""
        caps = [
            f'  per_participant: "{self.per_participant}"' if self.per_participant else "",
            f'  contract: "{self.contract_cap}"' if self.contract_cap else "",
        ]
        caps_block = "caps:\n" + "\n".join(c for c in caps if c) if any(caps) else ""
        return f"""\
# drawn by the simulator (tests/simulation/contracts.py), amendment {self.version}
spec_language: 1
version: {self.version}

contract:
  id: {CONTRACT_ID}
  name: Simulated contract
  currency: GBP
  payment_frequency: {"monthly" if self.monthly else "quarterly"}
  service_start: 2015-01-01
  last_outcome_date: 2017-12-31

parties:
  - {{id: dwp, role: commissioner, name: Commissioner}}
  - {{id: topup, role: commissioner, name: Top-up fund}}
  - {{id: acme, role: provider, name: Acme}}
  - {{id: bolt, role: provider, name: Bolt}}
  - {{id: manager, role: intermediary, name: Manager}}

attributes:
  date_of_birth: {{type: date}}

cohorts:
  - id: c1
    name: Starts in 2015
    enrolment: {{from: 2015-01-01, to: 2015-12-31}}
    capacity: {self.capacity}
    eligibility:
      - age_at_start: {{attribute: date_of_birth, min: 14, max: 24}}

measures:
  - id: earnings
    name: Earnings since start
    unit: GBP

metrics:
  - id: job_entry
    name: Job entry
    evidence_types: [payslip, employer_letter]{job_caps}
    tariff:
      - {{from: 2015-01-01, price: "{self.job_price}"}}{later_job}
  - id: job_sustained
    name: Job sustained
    prerequisites:
      - {{metric: job_entry, min_gap: {{days: {self.sustain_gap_days}}}}}
    tariff:
      - {{from: 2015-01-01, price: "2000.00"}}
  - id: nqf2
    name: NQF level 2
    window: {{months: 24}}
    max_per_participant: 2{nqf_caps}{automatic}
    tariff:
      - {{from: 2015-01-01, price: "{self.nqf_price}"}}
  - id: earnings_768
    name: Earned the threshold
    threshold: {{measure: earnings, quantity: "{self.threshold}"}}
    tariff:
      - {{from: 2015-01-01, price: "300.00"}}

cohort_metrics:
  - id: cohort_effect
    name: Cohort reoffending effect
    cohorts: [c1]
    direction: lower_is_better
    rule:
      per_unit_above_threshold: {{threshold_percent: "5", price: "{self.cohort_price}"}}

payers:
  - {{party: dwp}}
  - {{party: topup{commitment}}}

payer_shares:
{shares}

{caps_block}
"""


def _shares(day: str, dwp: int) -> str:
    return f'  - {{from: {day}, shares: {{dwp: "{dwp}", topup: "{100 - dwp}"}}}}'


def _money(low: int, high: int) -> st.SearchStrategy[str]:
    """An amount in pounds and pence."""
    return st.integers(min_value=low * 100, max_value=high * 100).map(
        lambda p: f"{p // 100}.{p % 100:02d}"
    )


def _price(low: int, high: int) -> st.SearchStrategy[str]:
    """A price: pounds and pence, sometimes a fraction of a penny (rounded half-up)."""
    return st.one_of(_money(low, high), st.sampled_from(["250.005", "333.333", "1000.00"]))


def terms() -> st.SearchStrategy[Terms]:
    optional = st.none().__or__
    return st.builds(
        Terms,
        monthly=st.sampled_from([False, False, False, True]),
        capacity=st.integers(min_value=2, max_value=8),
        job_price=_price(100, 4000),
        job_price_later=optional(_price(100, 4000)),
        job_count_cap=optional(st.integers(min_value=1, max_value=4)),
        sustain_gap_days=st.integers(min_value=1, max_value=200),
        nqf_price=_price(100, 4000),
        nqf_amount_cap=optional(_money(100, 6000)),
        threshold=st.sampled_from(["768", "0.01", "500.50", "1000"]),
        shares_first=st.integers(min_value=0, max_value=100),
        shares_later=optional(st.integers(min_value=0, max_value=100)),
        topup_commitment=optional(_money(1, 3000)),
        per_participant=optional(_money(500, 9000)),
        contract_cap=optional(_money(1000, 20000)),
        cohort_price=_price(1, 500),
        nqf_automatic=st.booleans(),
    )


def amended(old: Terms, new: Terms) -> Terms:
    """`new`'s numbers as the next version of `old`'s contract (the period length stays: a
    contract's periods are what its claims were issued for)."""
    return replace(new, monthly=old.monthly, version=old.version + 1)


def contracts() -> st.SearchStrategy[Path | Terms]:
    """An example spec (as its file) or a drawn contract (as its terms)."""
    return st.one_of(terms(), st.sampled_from(EXAMPLES))
