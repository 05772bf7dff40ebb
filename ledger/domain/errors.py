"""Errors a user can cause, as data: every problem found in one pass, each with its place."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class RowError:
    """One problem in an uploaded file: `FILE:ROW: column: message` (row 1 is the header; row 0
    is the file as a whole, written `FILE: column: message`)."""

    file: str
    row: int
    column: str
    message: str

    @property
    def of_the_file(self) -> bool:
        """A problem of the whole file or its header (not a table, too large, a wrong header,
        no rows under it): fixed in the file, and no row can be checked until it is."""
        return self.row <= HEADER_ROW or self.column == "file"

    def __str__(self) -> str:
        place = f"{self.file}:{self.row}" if self.row else self.file
        return f"{place}: {self.column}: {self.message}"


class LedgerError(Exception):
    """Base of the errors a user can cause and fix; the message says what to do."""


class UnknownContract(LedgerError):
    def __init__(self, contract_id: str) -> None:
        super().__init__(
            f"contract {contract_id!r} is not known: load its spec first "
            "(outcomes contract load FILE)"
        )
        self.contract_id = contract_id


class NoActiveSpec(LedgerError):
    def __init__(self, contract_id: str) -> None:
        super().__init__(
            f"contract {contract_id!r} has no spec version in force: load one "
            "(outcomes contract load FILE) or put a draft in force "
            "(outcomes contract activate CONTRACT VERSION)"
        )
        self.contract_id = contract_id


class UnknownParticipant(LedgerError):
    def __init__(self, contract_id: str, participant_id: str) -> None:
        super().__init__(f"participant {participant_id!r} is not enrolled in {contract_id!r}")


class AmbiguousParticipant(LedgerError):
    def __init__(self, contract_id: str, participant_id: str, providers: Iterable[str]) -> None:
        owners = sorted(providers)
        super().__init__(
            f"participant {participant_id!r} is enrolled in {contract_id!r} by more than one "
            f"provider ({', '.join(owners)}): name it as provider/id (like "
            f"{owners[0]}/{participant_id}) or say which provider"
        )


HEADER_ROW = 1  # a file's first row: its column names
# a required column the header does not name: the rows cannot be checked without it
MISSING_COLUMN = "required column is missing: add it to the header row (row 1)"

# the problems listed per refused file: a file of millions of bad rows is answered with the
# first ones (in file order) and a count of the rest, so that no answer grows with the file
MAX_LISTED = 1_000


class RowErrors(list[RowError]):
    """Problems found so far, and how many more were counted without being kept."""

    more: int = 0


class RejectedUpload(LedgerError):
    """A file with at least one bad row: nothing from it was stored.

    `errors` are the first MAX_LISTED problems in file order; `more` counts the rest (those
    beyond the cap here, and those a RowErrors list or the caller counted without keeping)."""

    def __init__(self, errors: Iterable[RowError], *, more: int = 0) -> None:
        found = sorted(errors)
        more += getattr(errors, "more", 0) + max(0, len(found) - MAX_LISTED)
        self.errors: tuple[RowError, ...] = tuple(found[:MAX_LISTED])
        self.more = more
        total = len(self.errors) + more
        listed = f" The first {len(self.errors)} are listed." if more else ""
        super().__init__(f"{total} problem(s); nothing was stored.{listed} {_todo(self.errors)}")

    def lines(self) -> list[str]:
        """One `FILE:ROW: column: reason` line per problem, in file order (and a count of the
        problems not listed)."""
        lines = [str(error) for error in self.errors]
        if self.more:
            lines.append(f"... and {self.more} more problem(s) not listed")
        return lines


def _todo(errors: tuple[RowError, ...]) -> str:
    """What to do about a refused file: add the missing columns; fix the rows; or, for a
    problem of the whole file (too large, not a table, a wrong header), what each one says."""
    missing = [e.column for e in errors if e.row == HEADER_ROW and e.message == MISSING_COLUMN]
    if missing:
        them = "it" if len(missing) == 1 else "them"
        return (
            f"The header (row 1) has no column {', '.join(missing)}: add {them} and import "
            "the whole file again."
        )
    if not all(error.of_the_file for error in errors):
        return "Fix every row listed and import the whole file again."
    return "Correct the file as each problem says, then import it again."


class UploadTooLarge(RejectedUpload):
    """A file over a limit (bytes, rows, unpacked size): refused before its rows are read."""
