"""Semantic checks on dates: the contract's own dates, enrolment windows, dated schedules.

A dated schedule (tariffs, payer shares) is read as "this value from this date on", so its
entries must be in strictly increasing date order: a duplicate date would make two values in
force at once, and an out-of-order one would silently be shadowed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from contract_specs.checks_amounts import share_schedules
from contract_specs.docwalk import Doc, as_date, entries, mapping
from contract_specs.findings import Finding, error, jpath, warning


def price_schedules(doc: Doc) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """(where, schedule) for every metric's tariff and every cohort's tariff override."""
    for i, metric in entries(doc.get("metrics")):
        yield ("metrics", i, "tariff"), metric.get("tariff")
    for i, cohort in entries(doc.get("cohorts")):
        for metric_id, schedule in mapping(cohort.get("tariffs")).items():
            yield ("cohorts", i, "tariffs", metric_id), schedule


def check_schedule_order(doc: Doc) -> Iterator[Finding]:
    """Dated schedules list each date once, in increasing order."""
    schedules = [*price_schedules(doc), *share_schedules(doc)]
    for at, schedule in schedules:
        seen: dict[date, int] = {}
        previous: date | None = None
        for k, entry in entries(schedule):
            day = as_date(entry.get("from"))
            if day is None:
                continue
            path = jpath(*at, k, "from")
            if day in seen:
                yield error(
                    path,
                    f"{day} already starts entry {jpath(*at, seen[day])}: keep one entry per date",
                )
            elif previous is not None and day < previous:
                yield error(
                    path,
                    f"{day} comes after {previous} in the list: list the entries in date order",
                )
            seen.setdefault(day, k)
            previous = max(day, previous) if previous else day


def check_contract_dates(doc: Doc) -> Iterator[Finding]:
    """Referrals close and outcomes end after the service starts, in that order."""
    contract = mapping(doc.get("contract"))
    start = as_date(contract.get("service_start"))
    close = as_date(contract.get("referrals_close"))
    last = as_date(contract.get("last_outcome_date"))
    for key, day in (("referrals_close", close), ("last_outcome_date", last)):
        if start and day and day < start:
            yield error(
                jpath("contract", key),
                f"{key} {day} is before service_start {start}: fix one of the two dates",
            )
    if close and last and close > last:
        yield error(
            jpath("contract", "referrals_close"),
            f"referrals_close {close} is after last_outcome_date {last}: a participant referred "
            "then could achieve nothing payable; move referrals_close earlier",
        )


def check_enrolment_windows(doc: Doc) -> Iterator[Finding]:
    """Each cohort's enrolment window lies inside the contract's dates."""
    contract = mapping(doc.get("contract"))
    start = as_date(contract.get("service_start"))
    close = as_date(contract.get("referrals_close"))
    last = as_date(contract.get("last_outcome_date"))
    end, end_key = (close, "referrals_close") if close else (last, "last_outcome_date")
    for i, cohort in entries(doc.get("cohorts")):
        window = mapping(cohort.get("enrolment"))
        opens, shuts = as_date(window.get("from")), as_date(window.get("to"))
        if opens and shuts and opens > shuts:
            yield error(
                jpath("cohorts", i, "enrolment"),
                f"enrolment opens {opens} after it closes {shuts}: swap or fix the dates",
            )
        if opens and start and opens < start:
            yield error(
                jpath("cohorts", i, "enrolment", "from"),
                f"enrolment opens {opens}, before service_start {start}: "
                "open it on or after service_start",
            )
        if shuts and end and shuts > end:
            yield error(
                jpath("cohorts", i, "enrolment", "to"),
                f"enrolment closes {shuts}, after the contract's {end_key} {end}: "
                f"close it on or before {end_key}",
            )
        cancelled = as_date(cohort.get("cancelled_on"))
        if cancelled and opens and shuts and not opens <= cancelled <= shuts:
            yield warning(
                jpath("cohorts", i, "cancelled_on"),
                f"cancelled_on {cancelled} is outside the enrolment window {opens} to {shuts}, "
                "so it changes nothing: put it inside the window or remove it",
            )


def _first_date(schedule: Any) -> date | None:
    days = [as_date(entry.get("from")) for _, entry in entries(schedule)]
    known = [day for day in days if day]
    return min(known) if known else None


def check_coverage(doc: Doc) -> Iterator[Finding]:
    """Warn when a metric has no price or no payer shares in force from service_start."""
    start = as_date(mapping(doc.get("contract")).get("service_start"))
    if start is None:
        return
    contract_shares = _first_date(doc.get("payer_shares"))
    for section in ("metrics", "cohort_metrics"):
        for i, item in entries(doc.get(section)):
            metric_id = item.get("id")
            own = "payer_shares" in item
            shares_from = _first_date(item.get("payer_shares")) if own else contract_shares
            if shares_from and shares_from > start:
                where = jpath(section, i, "payer_shares") if own else jpath("payer_shares")
                yield warning(
                    where,
                    f"no payer shares cover `{metric_id}` from service_start {start} until "
                    f"{shares_from}: nobody would pay an outcome achieved then; "
                    f"start the shares on {start}",
                )
            tariff_from = _first_date(item.get("tariff"))
            if section == "metrics" and tariff_from and tariff_from > start:
                yield warning(
                    jpath(section, i, "tariff", 0, "from"),
                    f"`{metric_id}` has no price from service_start {start} until {tariff_from}: "
                    f"an outcome achieved then would not be paid; start the tariff on {start}",
                )
