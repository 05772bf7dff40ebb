"""Errors a user can cause in reconciliation, as data.

Each problem names its place (the argument, file row and column, or period) and says what to do,
so a user fixing an upload or a command line sees every problem in one pass. The exception only
carries the collected problems across a service boundary; nothing is half written when it is
raised.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the user's input: where it is and what to do about it."""

    place: str
    message: str

    def __str__(self) -> str:
        return f"{self.place}: {self.message}"


class ReconciliationError(Exception):
    """Raised with every problem found, never with only the first one."""

    def __init__(self, problems: tuple[Problem, ...] | list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class PeriodError(ReconciliationError):
    """A malformed period id, or one that does not fit the contract's payment frequency."""


class PeriodClosedError(ReconciliationError):
    """A posting or a run was asked of a period that is closed."""


class RunInProgressError(ReconciliationError):
    """Another run of the same contract and period holds it, or has already completed it."""
