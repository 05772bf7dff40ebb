"""The progress JSON a dashboard polls, a page at a time, kept as bytes per ledger state.

A dashboard asks again far more often than the ledger changes. A page is a function of its
request (contract, period, provider, cut-off, smallest group, offset and limit) and of the
ledger, so its bytes and entity tag are kept at the audit chain head they were read at
(reporting.memo), beside the caller's reach of the contract. A warm request, whose token was
checked at the same head, is then two dict lookups and no database read beyond that head: no
session, no report, no JSON writing.
"""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Callable, Hashable
from typing import NamedTuple

from sqlalchemy import Engine
from sqlmodel import Session

from api.auth import keep_reach, reach, reached
from ledger.storage.db import reading
from ledger.storage.tokens import Caller
from reporting import memo
from reporting.report import Report
from reporting.write_text import write_json

# The progress tables that grow with the participants: paged. The others (progress per cohort
# and metric, funnel, flags, groups) are a few rows per metric and always come whole.
LONG_TABLES = ("deadlines", "awaiting_verification", "likely_unclaimed")


class Page(NamedTuple):
    """A page as sent: its entity tag and its JSON bytes."""

    tag: str
    body: bytes


def kept_page(
    engine: Engine, at: memo.Head, caller: Caller, contract_id: str, key: Hashable
) -> Page | None:
    """The page kept under `key` at head `at`, when the caller was let into the contract at
    that head too; None when either is not known (build it)."""
    if not reached(engine, at, caller, contract_id):
        return None
    page: Page | None = memo.value(engine, at, ("page", key))
    return page


def build_page(
    engine: Engine,
    caller: Caller,
    contract_id: str,
    key: Hashable,
    offset: int,
    limit: int,
    build: Callable[[Session], Report],
) -> Page:
    """Check the caller's reach, build (or take the kept) report and write the page, all in
    one read of the ledger; keep the reach and the page at the head that read saw."""
    with reading(engine) as session:
        reach(session, caller, contract_id)
        at = memo.head_of(session)
        report = build(session)
    keep_reach(engine, at, caller, contract_id)
    page = Page(memo.etag(key, at), page_text(report, offset, limit).encode("utf-8"))
    memo.keep(engine, at, ("page", key), page)
    return page


def page_text(report: Report, offset: int, limit: int) -> str:
    """The progress report as JSON with each long table cut to rows [offset, offset + limit)
    and a `pages` object giving each long table's total, offset and limit."""
    pages: dict[str, dict[str, int]] = {}
    tables = []
    for table in report.tables:
        if table.name in LONG_TABLES:
            pages[table.name] = {"total": len(table.frame), "offset": offset, "limit": limit}
            frame = table.frame.iloc[offset : offset + limit]
            table = dataclasses.replace(table, frame=frame)
        tables.append(table)
    text = io.StringIO()
    write_json(dataclasses.replace(report, tables=tuple(tables)), text)
    whole = text.getvalue()
    end = "\n}\n"
    assert whole.endswith(end)  # write_json closes the document with its outer brace
    return whole[: -len(end)] + ',\n "pages": ' + json.dumps(pages) + end


def matches(if_none_match: str | None, tag: str) -> bool:
    """Whether an If-None-Match header names `tag` (weak or strong, one of a list, or *)."""
    if not if_none_match:
        return False
    held = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in held or f'"{tag}"' in held
