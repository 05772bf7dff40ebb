"""The `investment:` section of a spec: built into typed tranches and fees, every mistake found."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from contract_specs.loader import check_spec_text, load_spec
from contract_specs.model import FeeKind, TrancheKind

EXAMPLES = Path(__file__).parents[2] / "contract_specs" / "examples"
BASE = (EXAMPLES / "peterborough.yaml").read_text(encoding="utf-8")


def _with_investment(section: str) -> str:
    """Peterborough with its `investment:` section replaced by `section`."""
    head, rest = BASE.split("investment:\n", 1)
    tail = rest[rest.index("\n# Arithmetic") :]
    return head + section + tail


def test_peterborough_declares_its_foundations_as_one_capped_equity_tranche() -> None:
    investment = load_spec(EXAMPLES / "peterborough.yaml").investment
    assert investment is not None
    (tranche,) = investment.tranches
    assert tranche.kind is TrancheKind.EQUITY
    assert tranche.commitment == Decimal("5000000.00")
    assert tranche.cap.irr_percent == Decimal("13")
    assert investment.service_fees[0].kind is FeeKind.FIXED


def test_a_spec_without_the_section_has_no_investment() -> None:
    spec = check_spec_text(_with_investment(""), "p.yaml").spec
    assert spec is not None and spec.investment is None


def test_every_mistake_in_the_section_is_reported_with_its_place() -> None:
    section = """investment:
  vehicle: V
  tranches:
    - {id: a, kind: senior_loan, investor: moj, commitment: "10.001", rank: 1,
       coupon_percent: "5", target_return_percent: "7"}
    - {id: a, kind: equity, investor: nobody, commitment: "10", rank: 2, cap: {multiple: "0.9"}}
  service_fees:
    - {provider: one-service, kind: deferred, percent: "10"}
    - {provider: social-impact-partnership, kind: outcome_linked, percent: "120"}
"""
    checked = check_spec_text(_with_investment(section), "p.yaml")
    paths = sorted({f.path for f in checked.errors})
    assert paths == [
        "$.investment.service_fees[0]",
        "$.investment.service_fees[0].percent",
        "$.investment.service_fees[1].percent",
        "$.investment.service_fees[1].provider",
        "$.investment.tranches[0]",
        "$.investment.tranches[0].commitment",
        "$.investment.tranches[0].investor",
        "$.investment.tranches[1].cap.multiple",
        "$.investment.tranches[1].id",
        "$.investment.tranches[1].investor",
    ]
    assert checked.spec is None


def test_an_unknown_tranche_kind_is_refused_by_the_schema() -> None:
    section = """investment:
  vehicle: V
  tranches:
    - {id: a, kind: mezzanine, investor: social-impact-partnership, commitment: "1", rank: 1}
"""
    checked = check_spec_text(_with_investment(section), "p.yaml")
    assert [f.path for f in checked.errors] == ["$.investment.tranches[0].kind"]
