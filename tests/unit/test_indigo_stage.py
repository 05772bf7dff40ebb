"""INDIGO's stage of development and the export's money, on plain data (no database): the
stage at each date boundary, and amounts as exact JSON numbers in the currency's decimals."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from contract_specs.model import Dated, PerUnit, Schedule
from reconciliation.matching import Claim, Remittance, match
from reporting.indigo import encode, indigo_project, stage
from reporting.indigo_ledger import LedgerTotals
from reporting.indigo_profile import IndigoProfile
from tests.conftest import small_spec

SPEC = small_spec()  # service 2015-01-01 to the last outcome date 2017-12-31
CLAIM = Claim("dwp", "2016-Q1", 1, 350_000, "DWP-TEST-2016-Q1-1", date(2016, 5, 1))


def totals(day: date, claims: tuple[Claim, ...] = (), paid: int = 0) -> LedgerTotals:
    remittances = (
        (Remittance("r1", "dwp", paid, date(2016, 4, 20), CLAIM.reference),) if paid else ()
    )
    return LedgerTotals(
        as_of=day,
        enrolled=3,
        posted=(),
        paid_people={},
        claims=claims,
        remittances=remittances,
        matching=match(claims, remittances, 0, day),
        cash=(),
        results=pd.DataFrame(
            columns=["result_id", "metric", "cohort", "observed", "comparison", "units"]
        ),
    )


@pytest.mark.parametrize(
    ("day", "claims", "paid", "expected"),
    [
        (date(2014, 12, 31), (), 0, "Contracted"),  # the day before service starts
        (date(2015, 1, 1), (), 0, "Implementation"),  # service starts
        (date(2017, 12, 31), (CLAIM,), 350_000, "Implementation"),  # the last outcome date
        (date(2018, 1, 1), (CLAIM,), 349_999, "Service delivery complete"),  # a penny short
        (date(2018, 1, 1), (), 0, "Service delivery complete"),  # nothing ever claimed
        (date(2018, 1, 1), (CLAIM,), 350_000, "Complete"),  # every claim paid
    ],
)
def test_stage_of_development_at_its_boundaries(
    day: date, claims: tuple[Claim, ...], paid: int, expected: str
) -> None:
    assert stage(SPEC, totals(day, claims, paid)) == expected


def test_money_is_an_exact_number_beside_its_currency() -> None:
    document = indigo_project(SPEC, totals(date(2016, 6, 1), (CLAIM,), 349_999), IndigoProfile())
    text = encode(document).decode("utf-8")
    made = json.loads(text, parse_float=Decimal)["project"]["data"]["overall_project_finance"][
        "total_outcome_payments_made"
    ]
    assert made == {"currency": {"value": "GBP"}, "amount": {"value": Decimal("3499.99")}}
    assert '"amount":{"value":3499.99}' in text


def test_a_price_per_unit_keeps_its_own_decimals_and_says_how_it_is_paid() -> None:
    day = Schedule((Dated(date(2015, 1, 1), Decimal("12.345")),))
    dated = Schedule(
        (Dated(date(2015, 1, 1), Decimal("3500.00")), Dated(date(2016, 4, 1), Decimal("3600.00")))
    )
    metrics = (
        dataclasses.replace(
            SPEC.metrics[0], id="care_day", tariff=day, per_unit=PerUnit("earnings", Decimal(365))
        ),
        dataclasses.replace(SPEC.metrics[1], tariff=dated),
    )
    spec = dataclasses.replace(SPEC, metrics=metrics)
    document = indigo_project(spec, totals(date(2016, 6, 1)), IndigoProfile())
    text = encode(document).decode("utf-8")
    pricings = json.loads(text, parse_float=Decimal)["project"]["data"]["outcome_pricings"]
    assert pricings[0]["price_per_unit"] == {"amount": {"value": Decimal("12.345")}}
    assert '"amount":{"value":12.345}' in text
    assert (
        "per unit of earnings, at most 365 units a person"
        in pricings[0]["price_description"]["value"]
    )
    # the price in force on the day, and the dated steps in words
    assert pricings[1]["price_per_unit"] == {"amount": {"value": Decimal("3600.00")}}
    assert pricings[1]["price_description"] == {
        "value": "dated tariff (GBP): 3500.00 from 2015-01-01, 3600.00 from 2016-04-01"
    }
