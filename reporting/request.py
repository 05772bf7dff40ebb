"""Checking what a report is asked for (period, payer, provider) and fixing its cut-off.

Every problem is collected before anything is read, so a user sees them all at once. The
default cut-off is fixed by the ledger, never by the clock, so the same ledger always gives the
same report; a cut-off given in the future is refused.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from contract_specs.model import ContractSpec, Role
from ledger.services.cut_off import future_cut_off
from reconciliation.errors import PeriodError, Problem
from reconciliation.periods import Period, parse_period
from reporting.errors import ReportError


def _known(place: str, value: str, known: list[str], what: str) -> list[Problem]:
    if value in known:
        return []
    listed = ", ".join(known) or "none"
    return [Problem(place, f"{value!r} is not a {what} of this contract: use one of {listed}")]


def checked_request(
    spec: ContractSpec,
    period: str,
    *,
    payer: str | None = None,
    provider: str | None = None,
    as_of: datetime | None = None,
) -> Period:
    """The period asked for; ReportError listing every problem with period, payer, provider
    and the cut-off (one in the future is refused: a report says what was known by then)."""
    problems: list[Problem] = []
    in_future = None if as_of is None else future_cut_off(as_of, datetime.now(UTC))
    if in_future is not None:
        problems.append(Problem("--as-of", in_future))
    found: Period | None = None
    try:
        found = parse_period(period, spec.contract.payment_frequency, "--period")
    except PeriodError as error:
        problems.extend(error.problems)
    if payer is not None:
        problems += _known("--payer", payer, [p.party for p in spec.payers], "payer")
    if provider is not None:
        providers = [p.id for p in spec.parties_with(Role.PROVIDER)]
        problems += _known("--provider", provider, providers, "provider")
    if problems or found is None:
        raise ReportError(problems)
    return found


def end_of(period: Period) -> datetime:
    """Midnight (UTC) after the period's last day: everything recorded in the period."""
    return datetime.combine(period.end + timedelta(days=1), time(), tzinfo=UTC)
