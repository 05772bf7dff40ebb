"""Errors a user can cause when asking for a report, collected so every one shows at once."""

from __future__ import annotations

from collections.abc import Iterable

from ledger.domain.errors import LedgerError
from reconciliation.errors import Problem


class ReportError(LedgerError):
    """The report could not be made: every problem with the request, each with its place."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        """One `place: what to do` line per problem."""
        return [str(p) for p in self.problems]
