"""Semantic checks on amounts: payer shares, decimals, cohort payment rules and caps.

Caps and payments are paid out, so they may not carry more decimals than the currency; prices
may (a price per care-day), because a product is rounded once (SEMANTICS.md section 1).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from contract_specs.docwalk import (
    Doc,
    Names,
    as_decimal,
    decimal_places,
    entries,
    entry_prices,
    mapping,
)
from contract_specs.findings import Finding, error, jpath, warning

HUNDRED = Decimal(100)


def share_schedules(doc: Doc) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """(where, schedule) for the contract's payer shares and every metric's override."""
    yield ("payer_shares",), doc.get("payer_shares")
    for section in ("metrics", "cohort_metrics"):
        for i, item in entries(doc.get(section)):
            if "payer_shares" in item:
                yield (section, i, "payer_shares"), item.get("payer_shares")


def check_share_sums(doc: Doc) -> Iterator[Finding]:
    """Payer shares in force on any date sum to exactly 100 percent."""
    for at, schedule in share_schedules(doc):
        for k, entry in entries(schedule):
            shares = mapping(entry.get("shares"))
            values = [as_decimal(v) for v in shares.values()]
            if not shares or None in values:
                continue  # the schema check reports empty or malformed shares
            total = sum((v for v in values if v is not None), Decimal(0))
            if total != HUNDRED:
                yield error(
                    jpath(*at, k, "shares"),
                    f"payer shares add up to {total}, not 100: adjust them so they sum to "
                    "exactly 100",
                )


def money_places(doc: Doc) -> Iterator[tuple[str, Any]]:
    """(path, value) of every amount that is paid out or compared with payments."""
    contract = mapping(doc.get("contract"))
    if "remittance_tolerance" in contract:
        yield jpath("contract", "remittance_tolerance"), contract["remittance_tolerance"]
    for key, value in mapping(doc.get("caps")).items():
        yield jpath("caps", key), value
    for i, payer in entries(doc.get("payers")):
        if "commitment" in payer:
            yield jpath("payers", i, "commitment"), payer["commitment"]
    for section in ("metrics", "cohort_metrics"):
        for i, item in entries(doc.get(section)):
            caps = mapping(item.get("caps"))
            if "amount" in caps:
                yield jpath(section, i, "caps", "amount"), caps["amount"]
    for i, cohort_metric in entries(doc.get("cohort_metrics")):
        rule = mapping(cohort_metric.get("rule"))
        for j, tier in entries(rule.get("tiers")):
            if "payment" in tier:
                yield jpath("cohort_metrics", i, "rule", "tiers", j, "payment"), tier["payment"]
        scale = mapping(rule.get("sliding_scale"))
        if "maximum" in scale:
            yield jpath("cohort_metrics", i, "rule", "sliding_scale", "maximum"), scale["maximum"]
    for e, example in entries(doc.get("examples")):
        expect = mapping(example.get("expect"))
        for n, line in entries(expect.get("lines")):
            yield jpath("examples", e, "expect", "lines", n, "amount"), line.get("amount")
        for payer_id, total in mapping(expect.get("totals")).items():
            yield jpath("examples", e, "expect", "totals", payer_id), total
        yield from _example_caps_places(e, mapping(example.get("caps")))


def _example_caps_places(e: int, caps: Doc) -> Iterator[tuple[str, Any]]:
    """The amounts of an example's own caps (issue 16, item 7)."""
    for key in ("per_participant", "contract"):
        if key in caps:
            yield jpath("examples", e, "caps", key), caps[key]
    for payer_id, commitment in mapping(caps.get("commitments")).items():
        yield jpath("examples", e, "caps", "commitments", payer_id), commitment
    for metric_id, metric_caps in mapping(caps.get("metrics")).items():
        if "amount" in mapping(metric_caps):
            yield (
                jpath("examples", e, "caps", "metrics", metric_id, "amount"),
                metric_caps["amount"],
            )


def too_many_places(path: str, value: Any, allowed: int, unit: str) -> Iterator[Finding]:
    """A finding when a decimal string carries more decimals than `allowed`."""
    number = as_decimal(value)
    if number is None or decimal_places(number) <= allowed:
        return
    written = decimal_places(number)
    if allowed == 0:
        yield error(path, f'"{value}" has decimals but {unit} has none: write a whole number')
    else:
        yield error(
            path,
            f'"{value}" has {written} decimals but {unit} allows {allowed}: '
            f"round it to {allowed} decimals",
        )


def check_decimals(doc: Doc, names: Names) -> Iterator[Finding]:
    """Amounts fit the currency; threshold quantities fit their measure."""
    if names.exponent is not None:
        currency = str(mapping(doc.get("contract")).get("currency"))
        for path, value in money_places(doc):
            yield from too_many_places(path, value, names.exponent, currency)
    for i, metric in entries(doc.get("metrics")):
        threshold = mapping(metric.get("threshold"))
        measure = threshold.get("measure")
        if isinstance(measure, str) and measure in names.measures:
            yield from too_many_places(
                jpath("metrics", i, "threshold", "quantity"),
                threshold.get("quantity"),
                names.measures[measure],
                f"the measure `{measure}`",
            )


def check_cohort_rules(doc: Doc) -> Iterator[Finding]:
    """Tiers ascend and each pays one way; a sliding scale runs from low to high."""
    for i, cohort_metric in entries(doc.get("cohort_metrics")):
        rule = mapping(cohort_metric.get("rule"))
        previous: Decimal | None = None
        for j, tier in entries(rule.get("tiers")):
            path = jpath("cohort_metrics", i, "rule", "tiers", j)
            if ("payment" in tier) == ("price" in tier):
                yield error(
                    path,
                    "a tier pays either a fixed `payment` or a `price` per unit "
                    "improved: give exactly one of them",
                )
            effect = as_decimal(tier.get("min_effect_percent"))
            if effect is None:
                continue
            if previous is not None and effect <= previous:
                yield error(
                    path + ".min_effect_percent",
                    f"min_effect_percent {effect} is not above the previous tier's {previous}: "
                    "list tiers with strictly increasing min_effect_percent",
                )
            previous = effect
        scale = mapping(rule.get("sliding_scale"))
        lower, upper = (
            as_decimal(scale.get("lower_percent")),
            as_decimal(scale.get("upper_percent")),
        )
        if lower is not None and upper is not None and lower >= upper:
            yield error(
                jpath("cohort_metrics", i, "rule", "sliding_scale"),
                f"lower_percent {lower} is not below upper_percent {upper}: the scale pays 0% at "
                "lower_percent and 100% at upper_percent, so lower must be smaller",
            )


def _highest_prices(doc: Doc) -> dict[str, tuple[Decimal, int]]:
    """metric id -> (its highest price anywhere, its index), overrides by cohort included."""
    highest: dict[str, tuple[Decimal, int]] = {}
    overrides: dict[str, list[Any]] = {}
    for _, cohort in entries(doc.get("cohorts")):
        for overridden, schedule in mapping(cohort.get("tariffs")).items():
            overrides.setdefault(overridden, []).extend(
                p for _, e in entries(schedule) for p in entry_prices(e)
            )
    for i, metric in entries(doc.get("metrics")):
        metric_id = metric.get("id")
        if not isinstance(metric_id, str):
            continue
        written = [p for _, e in entries(metric.get("tariff")) for p in entry_prices(e)]
        prices = [
            p for p in map(as_decimal, written + overrides.get(metric_id, [])) if p is not None
        ]
        if prices:
            highest[metric_id] = (max(prices), i)
    return highest


def check_caps_below_prices(doc: Doc) -> Iterator[Finding]:
    """Warn where a cap is below a single price, so that outcome can never be paid in full."""
    highest = _highest_prices(doc)
    for price, i in highest.values():
        metric = doc["metrics"][i]  # `_highest_prices` only indexes mappings in the list
        cap = as_decimal(mapping(metric.get("caps")).get("amount"))
        if cap is not None and cap < price:
            yield warning(
                jpath("metrics", i, "caps", "amount"),
                f"the metric's amount cap {cap} is below its price {price}: not even one "
                "occurrence can be paid in full; raise the cap or lower the price",
            )
    for key, what in (("per_participant", "per-participant cap"), ("contract", "contract cap")):
        cap = as_decimal(mapping(doc.get("caps")).get(key))
        if cap is None:
            continue
        above = [
            f"{metric_id} ({price})" for metric_id, (price, _) in highest.items() if cap < price
        ]
        if above:
            yield warning(
                jpath("caps", key),
                f"the {what} {cap} is below the price of {', '.join(above)}: that outcome can "
                "never be paid in full; raise the cap or lower the price",
            )
