"""The commissioner's column headings in words, for the people who read a workbook or a PDF.

Machines keep the field names (csv, json, defined names); a payer reads "Achieved on", not
`achieved_on`, and "Corrects the claim for", not `corrects_period` (docs/reports.md, glossary).
"""

from __future__ import annotations

from dataclasses import replace

from reporting.report import Table

HEADINGS = {
    # summary
    "item": "Item",
    "note": "Note",
    # lines and not payable
    "posting_id": "Posting id",
    "participant_id": "Participant",
    "cohort": "Cohort",
    "provider": "Provider",
    "metric": "Outcome (metric id)",
    "occurrence": "Occurrence",
    "achieved_on": "Achieved on",
    "evidence_ids": "Evidence ids",
    "evidence_references": "Evidence references",
    "evidence_type": "Evidence type",
    "submitted_at": "Submitted at (UTC)",
    "decision": "Latest decision",
    "verified_by": "Verified by",
    "verified_at": "Verified at (UTC)",
    "tariff": "Tariff",
    "amount": "Amount",
    "kind": "Kind of line",
    "reason": "Why this amount",
    "corrects_period": "Corrects the claim for",
    "late_from_period": "Achieved in (paid late)",
    "spec_version": "Spec version",
    "evidence_id": "Evidence id",
    "submitted_on": "Submitted on",
    "detail": "Detail",
    # money received
    "remittance_id": "Remittance",
    "received_on": "Received on",
    "reference": "Reference quoted",
    "status": "Status",
    "matched_as": "Matched as",
    "claims": "Claims settled",
    # payments by period
    "period": "Period",
    "claimed": "Claimed",
    "cumulative": "Claimed to date",
    "limit": "Limit",
    # the combined view
    "payer": "Payer",
    "claim_reference": "Claim reference",
    "issued_on": "Issued on",
    "due_on": "Due on",
}


def in_words(table: Table) -> Table:
    """`table` with each column headed in words (a heading it already has is kept)."""
    columns = tuple(
        c if c.heading else replace(c, heading=HEADINGS.get(c.name, c.name.replace("_", " ")))
        for c in table.columns
    )
    return replace(table, columns=columns)
