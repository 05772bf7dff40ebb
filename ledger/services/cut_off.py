"""A cut-off is a moment the ledger has already lived through: never one in the future.

Every computation "as of T" (a reconcile run, a report, `ledger explain`) counts what was known
at T. A T after now would count only what is known now, yet say it is what was known at T; a
run would record a cut-off that later facts, submitted before T, contradict. So a cut-off in
the future is refused wherever one can be given, with the same words.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ledger.domain.errors import LedgerError
from ledger.services.facts import utc


def future_cut_off(cut_off: datetime, now: datetime) -> str | None:
    """What is wrong with `cut_off` when it is after `now` (None when it is not)."""
    cut_off, now = utc(cut_off), utc(now)
    if cut_off <= now:
        return None
    return (
        f"cut-off {cut_off:%Y-%m-%d %H:%M:%S} UTC is in the future (now is "
        f"{now:%Y-%m-%d %H:%M:%S} UTC): only what is known by now can count; give a cut-off at "
        "or before now, or leave it out"
    )


class CutOffInFuture(LedgerError):
    """A cut-off after now was asked for (`ledger explain --as-of`)."""

    def __init__(self, message: str) -> None:
        super().__init__(f"--as-of: {message}")


def refuse_future(cut_off: datetime, now: datetime | None = None) -> datetime:
    """`cut_off` as aware UTC, or CutOffInFuture when it is after `now` (default: the clock)."""
    problem = future_cut_off(cut_off, now or datetime.now(UTC))
    if problem is not None:
        raise CutOffInFuture(problem)
    return utc(cut_off)
