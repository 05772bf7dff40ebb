"""Reports as downloads (xlsx, csv or json) and the provider's progress as JSON.

Each report is built by reporting/ in one read-only unit of work and written by the same
writers as `outcomes report`, so a download is byte for byte the CLI's file. Who sees what:

- a commissioner reads the payment report of its own payer only (another payer: 404);
- a provider reads the progress of its own participants only (another provider: 404);
- an investor reads the investor report, with its own tranches only;
- the intermediary reads all of them (naming the payer, and a provider or the whole contract).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

import anyio
from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, HeaderParameter, QueryParameter
from sqlalchemy import Engine
from sqlmodel import Session

from api.auth import Checked, allow, own_party, own_payer, reach
from api.controllers.params import MAX_INT
from api.controllers.progress import build_page, kept_page, matches
from api.controllers.responses import READ, DownloadOperation
from api.dto import ProgressOut, ReportOut
from api.errors import ApiProblem
from contract_specs.model import Role
from ledger.storage.db import reading
from ledger.storage.tokens import Caller
from reporting.commissioner import commissioner_report
from reporting.groups import MIN_GROUP
from reporting.investor import investor_report
from reporting.provider import provider_report
from reporting.report import Report
from reporting.write_file import write_report

Format = Literal["xlsx", "csv", "json"]
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}
ReportPeriod = Annotated[str, QueryParameter(description="The period, e.g. 2025-Q3 or 2025-07.")]
FileFormat = Annotated[
    Format,
    QueryParameter(
        name="format",
        description="xlsx: every table and charts; csv: the main table; json: everything.",
    ),
]
AsOf = Annotated[
    datetime | None,
    QueryParameter(
        required=False, description="Cut-off (UTC); default fixed by the ledger (docs/reports.md)."
    ),
]
PayerParam = Annotated[
    str | None,
    QueryParameter(
        required=False, description="The outcome payer (a commissioner's token: its own)."
    ),
]
ProviderParam = Annotated[
    str | None,
    QueryParameter(
        required=False,
        description="A provider (a provider's token: its own); default for the intermediary: "
        "the whole contract.",
    ),
]
MinGroup = Annotated[
    int,
    QueryParameter(ge=1, le=MAX_INT, description="Smallest group shown in 'what works for whom'."),
]
Limit = Annotated[
    int,
    QueryParameter(
        ge=1,
        le=1000,
        description="Rows of each long table (deadlines, awaiting "
        "verification, likely unclaimed) in this page; `pages` gives each table's total.",
    ),
]
Offset = Annotated[
    int,
    QueryParameter(
        ge=0, le=MAX_INT, description="Rows of each long table skipped before this page."
    ),
]
IfNoneMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-None-Match",
        required=False,
        description="The ETag of a page already held: 304 with no body while it is current.",
    ),
]
DOWNLOAD = "A file in the format asked for, with its name in Content-Disposition."
DOWNLOADS = {
    **READ,
    200: ResponseSpec(
        ReportOut, description=f"{DOWNLOAD} JSON: the report document.", generate_examples=False
    ),
}
PROGRESS = {
    **READ,
    200: ResponseSpec(ProgressOut, description="The progress page.", generate_examples=False),
    304: ResponseSpec(None, description="The page held is current."),
}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _build(
    engine: Engine, caller: Caller, contract_id: str, build: Callable[[Session], Report]
) -> Report:
    with reading(engine) as session:
        reach(session, caller, contract_id)
        return build(session)


def _progress(
    engine: Engine,
    caller: Caller,
    contract_id: str,
    period: str,
    provider: str | None,
    as_of: datetime | None,
    min_group: int,
) -> Report:
    who = own_party(caller, Role.PROVIDER, provider, "provider")
    return _build(
        engine,
        caller,
        contract_id,
        lambda s: provider_report(s, contract_id, period, who, as_of, min_group),
    )


def download(report: Report, fmt: Format, *subject: str) -> Response[bytes]:
    """The report as a file download: its media type and a file name that says what it is."""
    with tempfile.TemporaryDirectory(prefix="outcomes-report-") as folder:
        path = Path(folder) / f"report.{fmt}"
        write_report(report, fmt, path)
        content = path.read_bytes()
    parts = [report.contract_id, report.kind, report.period, *subject]
    name = _UNSAFE.sub("_", "-".join(p for p in parts if p)) + f".{fmt}"
    return Response(
        content,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


class ReportsController(Controller):
    """Payment, progress and investor reports of a contract."""

    path = "/api/contracts/{contract_id:str}"
    tags = ("reports",)

    @get(
        "/reports/commissioner",
        operation_id="commissionerReport",
        summary="What a payer owes for a period and why (xlsx, csv or json)",
        description=DOWNLOAD,
        responses=DOWNLOADS,
        operation_class=DownloadOperation,
        guards=[allow(Role.INTERMEDIARY, Role.COMMISSIONER)],
        sync_to_thread=True,
    )
    def commissioner(
        self,
        contract_id: FromPath[str],
        caller: NamedDependency[Caller],
        engine: NamedDependency[Engine],
        period: ReportPeriod,
        fmt: FileFormat = "xlsx",
        payer: PayerParam = None,
        as_of: AsOf = None,
    ) -> Response[bytes]:
        """Summary, the lines that add up to the claim, not payable, money received."""
        payer = own_payer(caller, payer)
        if payer is None:
            raise ApiProblem(
                422,
                "invalid",
                "say whose payment report this is",
                [{"field": "payer", "message": "give the outcome payer's party id"}],
            )
        report = _build(
            engine,
            caller,
            contract_id,
            lambda s: commissioner_report(s, contract_id, period, payer, as_of),
        )
        return download(report, fmt, payer)

    @get(
        "/reports/provider",
        operation_id="providerReport",
        summary="A provider's progress, funnel, deadlines and flags (xlsx, csv or json)",
        description=DOWNLOAD,
        responses=DOWNLOADS,
        operation_class=DownloadOperation,
        guards=[allow(Role.INTERMEDIARY, Role.PROVIDER)],
        sync_to_thread=True,
    )
    def provider(
        self,
        contract_id: FromPath[str],
        caller: NamedDependency[Caller],
        engine: NamedDependency[Engine],
        period: ReportPeriod,
        fmt: FileFormat = "xlsx",
        provider: ProviderParam = None,
        as_of: AsOf = None,
        min_group: MinGroup = MIN_GROUP,
    ) -> Response[bytes]:
        """Only the provider's own participants for a provider's token."""
        report = _progress(engine, caller, contract_id, period, provider, as_of, min_group)
        return download(report, fmt, own_party(caller, Role.PROVIDER, provider, "provider") or "")

    @get(
        "/progress",
        operation_id="providerProgress",
        summary="A provider's progress as JSON (the provider report's tables, long ones paged)",
        responses=PROGRESS,
        guards=[allow(Role.INTERMEDIARY, Role.PROVIDER)],
    )
    async def progress(
        self,
        contract_id: FromPath[str],
        caller: NamedDependency[Caller],
        checked: NamedDependency[Checked],
        engine: NamedDependency[Engine],
        period: ReportPeriod,
        provider: ProviderParam = None,
        as_of: AsOf = None,
        min_group: MinGroup = MIN_GROUP,
        limit: Limit = 100,
        offset: Offset = 0,
        if_none_match: IfNoneMatch = None,
    ) -> Response[bytes]:
        """Progress against targets, the funnel, deadlines, awaiting verification and flags;
        money as decimal strings. A provider sees only its own participants. The long tables
        come a page at a time; the ETag changes with every write to the ledger."""
        who = own_party(caller, Role.PROVIDER, provider, "provider")
        key = ("progress", contract_id, period, who, as_of, min_group, offset, limit)
        # kept at the head the token was checked at: served from memory, no thread, no read
        page = kept_page(engine, checked.head, caller, contract_id, key)
        if page is None:
            page = await anyio.to_thread.run_sync(
                build_page,
                engine,
                caller,
                contract_id,
                key,
                offset,
                limit,
                lambda s: provider_report(s, contract_id, period, who, as_of, min_group),
            )
        # private: the page is the caller's own scope; no-cache: revalidate with the ETag
        headers = {"ETag": f'"{page.tag}"', "Cache-Control": "private, no-cache"}
        if matches(if_none_match, page.tag):
            return Response(b"", status_code=304, headers=headers)
        return Response(page.body, media_type=MEDIA_TYPES["json"], headers=headers)

    @get(
        "/reports/investor",
        operation_id="investorReport",
        summary="Capital, outcome income, distributions, returns and forecast (xlsx, csv, json)",
        description=DOWNLOAD,
        responses=DOWNLOADS,
        operation_class=DownloadOperation,
        guards=[allow(Role.INTERMEDIARY, Role.INVESTOR)],
        sync_to_thread=True,
    )
    def investor(
        self,
        contract_id: FromPath[str],
        caller: NamedDependency[Caller],
        engine: NamedDependency[Engine],
        period: ReportPeriod,
        fmt: FileFormat = "xlsx",
        as_of: AsOf = None,
    ) -> Response[bytes]:
        """The investment vehicle's report (422 when the spec declares no investment). An
        investor's token: its own tranches and holding, beside the vehicle's totals."""
        investor = own_party(caller, Role.INVESTOR, None, "investor")
        report = _build(
            engine,
            caller,
            contract_id,
            lambda s: investor_report(s, contract_id, period, as_of, investor),
        )
        return download(report, fmt, investor or "")
