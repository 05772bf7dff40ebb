"""What the API reads and writes: separate request and response shapes, plain dataclasses.

Money leaves the API as a decimal string in the contract's currency (`"1500.00"`), never as a
JSON number, so no client parses it into a float by accident. Dates are ISO dates, times are
ISO timestamps in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any

from litestar.datastructures import UploadFile
from litestar.params import KwargDefinition

# --- requests ---------------------------------------------------------------------------------


@dataclass
class RowsIn:
    """Rows of an import as JSON objects, keyed by the same column names as the csv/xlsx file.

    Send decimals (quantities, observed values) as strings ("250.50") to keep them exact.
    """

    # documented, and refused (422 at $.rows) by the import itself, after the caller's reach
    # is checked: an empty import says nothing about a contract the caller cannot see
    rows: Annotated[list[dict[str, Any]], KwargDefinition(min_items=1)]


@dataclass
class UploadForm:
    """A multipart upload: one .csv or .xlsx file in the part named `file`."""

    file: UploadFile


# --- contracts and specs ----------------------------------------------------------------------


@dataclass
class PartyOut:
    id: str
    role: str
    name: str


@dataclass
class ContractOut:
    id: str
    name: str
    currency: str
    active_version: int | None
    parties: list[PartyOut]


@dataclass
class VersionOut:
    version: int
    content_hash: str
    active: bool
    loaded_at: datetime
    loaded_by: str


@dataclass
class VersionDetail(VersionOut):
    source: str = ""
    text: str = ""
    canonical: dict[str, Any] = field(default_factory=dict)


@dataclass
class FindingOut:
    path: str
    message: str
    line: int | None = None


@dataclass
class ValidationOut:
    """The outcome of checking a spec: every error and warning, each at its JSON path."""

    valid: bool
    contract_id: str | None
    content_hash: str | None
    errors: list[FindingOut]
    warnings: list[FindingOut]


@dataclass
class RegisteredOut:
    contract_id: str
    version: int
    created: bool
    active: bool


@dataclass
class ActivatedOut:
    """The version now in force, the one before it (null when none was), and whether the
    activation changed anything."""

    contract_id: str
    version: int
    previous: int | None
    changed: bool


@dataclass
class DifferenceOut:
    """One place where two versions differ (`before` or `after` is absent when added/removed)."""

    path: str
    before: Any = None
    after: Any = None


@dataclass
class ComparisonOut:
    contract_id: str
    version: int
    other: int
    differences: list[DifferenceOut]


# --- facts ------------------------------------------------------------------------------------


@dataclass
class ImportOut:
    """What an import stored: new rows, and rows already stored exactly as sent."""

    new: int
    unchanged: int


# --- what a new spec version would change (ledger.services.spec_preview) -------------------


@dataclass
class ChangeOut:
    """Money owed under the version in force (`before`), under the new spec (`after`), and
    the difference, as decimal strings in the contract's currency."""

    before: str
    after: str
    change: str


@dataclass
class PayerPeriodChangeOut(ChangeOut):
    payer: str = ""
    period: str = ""


@dataclass
class MetricChangeOut(ChangeOut):
    metric: str = ""


@dataclass
class LineChangeOut(ChangeOut):
    """One line that moves: a participant's occurrence of a metric, for one payer."""

    participant_id: str = ""
    metric: str = ""
    occurrence: int = 0
    payer: str = ""
    period: str = ""
    achieved_on: date | None = None


@dataclass
class PreviewOut:
    """What a new spec version would change against the facts as of `as_of`; nothing stored.
    Only payers and periods, metrics and lines whose money moves are listed."""

    contract_id: str
    version_in_force: int
    new_hash: str
    as_of: datetime
    currency: str
    total: ChangeOut
    by_payer_period: list[PayerPeriodChangeOut]
    by_metric: list[MetricChangeOut]
    lines: list[LineChangeOut]


@dataclass
class WithdrawalsOut:
    """How many participants have withdrawn their consent (a provider: of its own), never who."""

    contract_id: str
    withdrawn: int


# --- reports ----------------------------------------------------------------------------------

Cell = str | int | bool | None


@dataclass
class ReportOut:
    """A report as one JSON document: its cover, and every table as rows keyed by the table's
    columns (money and percentages as decimal strings, dates ISO, counts as integers, an empty
    cell null). docs/reports.md lists each report's tables and columns."""

    report: str
    title: str
    contract: str
    contract_name: str
    currency: str
    period: str
    cut_off: datetime
    spec_version: int
    cover: dict[str, str]
    tables: dict[str, list[dict[str, Cell]]]


@dataclass
class PageOut:
    """Where a long table's page is: its rows in all, and this page's offset and limit."""

    total: int
    offset: int
    limit: int


@dataclass
class ProgressOut(ReportOut):
    """The provider report as JSON, its long tables cut to one page each (`pages`)."""

    pages: dict[str, PageOut]


# --- ledger: postings are ledger.services.export's PostingsPage (Decimal amounts leave as strings)
# --


@dataclass
class HealthOut:
    status: str
    database: str


# --- errors (documented in the OpenAPI; built by api.errors) ----------------------------------


@dataclass
class ErrorDetail:
    """Where one problem is (`path`, `row` and `column`, or `field`) and what to do about it."""

    message: str
    path: str | None = None
    row: int | None = None
    column: str | None = None
    field: str | None = None


@dataclass
class ErrorBody:
    """`details` lists at most 1,000 problems; `omitted` (only then) counts the rest."""

    status: int
    code: str
    message: str
    details: list[ErrorDetail]
    omitted: int | None = None


@dataclass
class ErrorOut:
    error: ErrorBody
