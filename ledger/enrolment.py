"""Enrolling participants from an uploaded file: every row checked, all or nothing.

Checks (SEMANTICS.md 2): required values, a known cohort, a start date inside the cohort's
enrolment window and before its cancellation, a provider that is a provider party, the
declared attributes' types and values, the cohort's eligibility rules, and its capacity counting
who is stored plus the file. A row whose id is already stored with the same content is
unchanged; with different content it is a conflict naming the fields that differ.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import func, insert, select
from sqlmodel import Session

from contract_specs.model import AgeAtStart, AttributeType, ContractSpec, Flag, Role, Rule
from ledger import audit
from ledger.contracts import ActiveSpec, require_contract
from ledger.errors import RejectedUpload, RowError
from ledger.tables import Participant, table_of
from ledger.uploads import (
    ROW,
    is_decimal,
    is_integer,
    parse_booleans,
    parse_dates,
    read_upload,
)

COLUMNS = ("participant_id", "cohort", "provider", "start_date")
BATCH = 10_000


@dataclass(frozen=True)
class ImportSummary:
    """What an import stored: `new` rows, and rows already stored exactly as uploaded."""

    new: int
    unchanged: int

    def __str__(self) -> str:
        return f"{self.new} new, {self.unchanged} unchanged"


def import_participants(
    session: Session,
    contract_id: str,
    active: ActiveSpec,
    path: Path,
    *,
    actor: str,
    now: datetime,
) -> ImportSummary:
    """Enrol every participant in `path` under the spec in force, or none (RejectedUpload)."""
    require_contract(session, contract_id)
    spec = active.spec
    upload = read_upload(path, COLUMNS, [a.name for a in spec.attributes])
    if upload.errors:
        raise RejectedUpload(upload.errors)
    checked = Checker(upload.name, upload.frame, spec)
    typed = checked.run()
    stored = _stored(session, contract_id, typed["participant_id"])
    new = checked.against_stored(typed, stored, _enrolled_per_cohort(session, contract_id))
    if checked.errors:
        raise RejectedUpload(checked.errors)
    records = _records(new, contract_id, upload.name, now)
    connection = session.connection()
    for start in range(0, len(records), BATCH):
        connection.execute(insert(table_of(Participant)), records[start : start + BATCH])
    summary = ImportSummary(new=len(records), unchanged=len(typed) - len(records))
    audit.record(
        session,
        actor,
        "participants.import",
        f"contract:{contract_id}",
        now,
        {"file": upload.name, "new": summary.new, "unchanged": summary.unchanged},
    )
    return summary


class Checker:
    """Collects every problem of a participants frame as RowErrors (vectorised per check)."""

    def __init__(self, file: str, frame: pd.DataFrame, spec: ContractSpec) -> None:
        self.file = file
        self.frame = frame
        self.spec = spec
        self.errors: list[RowError] = []
        self.bad = pd.Series(False, index=frame.index)

    def flag(self, mask: pd.Series, column: str, message: str | pd.Series) -> None:
        """Record `message` (one text, or one per row) for every row where `mask` holds."""
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        rows = self.frame.loc[mask, ROW]
        texts = message[mask] if isinstance(message, pd.Series) else [message] * len(rows)
        self.errors.extend(
            RowError(self.file, int(row), column, str(text))
            for row, text in zip(rows, texts, strict=True)
        )
        self.bad |= mask

    def run(self) -> pd.DataFrame:
        """Check each row on its own; returns the typed frame (rows with errors included)."""
        f = self.frame
        for column in COLUMNS:
            self.flag(f[column] == "", column, "is empty: every row needs one")
        duplicated = f["participant_id"].duplicated(keep="first") & (f["participant_id"] != "")
        first_row = f.groupby("participant_id")[ROW].transform("min")
        self.flag(
            duplicated,
            "participant_id",
            "appears again in this file (first at row " + first_row.astype(str) + ")",
        )
        typed = pd.DataFrame({ROW: f[ROW], "participant_id": f["participant_id"]})
        typed["cohort"] = f["cohort"]
        typed["provider"] = f["provider"]
        typed["start_date"] = parse_dates(f["start_date"])
        self.flag(
            typed["start_date"].isna() & (f["start_date"] != ""),
            "start_date",
            "is not a date: write it as YYYY-MM-DD",
        )
        self._check_provider(f)
        self._check_cohort(typed)
        for attribute in self.spec.attributes:
            typed[attribute.name] = self._attribute(
                attribute.name, attribute.type, attribute.required, attribute.values
            )
        self._check_eligibility(typed)
        return typed

    def _check_provider(self, f: pd.DataFrame) -> None:
        providers = {p.id for p in self.spec.parties_with(Role.PROVIDER)}
        self.flag(
            ~f["provider"].isin(providers) & (f["provider"] != ""),
            "provider",
            f"is not a provider of this contract: use one of {', '.join(sorted(providers))}",
        )

    def _check_cohort(self, typed: pd.DataFrame) -> None:
        cohorts = {c.id: c for c in self.spec.cohorts}
        known = typed["cohort"].isin(cohorts)
        self.flag(
            ~known & (typed["cohort"] != ""),
            "cohort",
            f"is not a cohort of this contract: use one of {', '.join(sorted(cohorts))}",
        )
        start = typed["start_date"]
        for cohort in self.spec.cohorts:
            mine = (typed["cohort"] == cohort.id) & start.notna()
            window = f"{cohort.enrolment_from} to {cohort.enrolment_to}"
            self.flag(
                mine
                & (
                    (start < pd.Timestamp(cohort.enrolment_from))
                    | (start > pd.Timestamp(cohort.enrolment_to))
                ),
                "start_date",
                f"is outside cohort {cohort.id}'s enrolment window {window}",
            )
            if cohort.cancelled_on is not None:
                self.flag(
                    mine & (start >= pd.Timestamp(cohort.cancelled_on)),
                    "start_date",
                    f"is on or after {cohort.cancelled_on}, when cohort {cohort.id} was cancelled",
                )

    def _attribute(
        self, name: str, kind: AttributeType, required: bool, values: tuple[str, ...] | None
    ) -> pd.Series:
        raw = (
            self.frame[name]
            if name in self.frame
            else pd.Series("", index=self.frame.index, dtype="str")
        )
        present = raw != ""
        if required:
            self.flag(~present, name, "is empty: this attribute is required")
        if kind is AttributeType.DATE:
            typed = parse_dates(raw)
            self.flag(present & typed.isna(), name, "is not a date: write it as YYYY-MM-DD")
            return typed
        if kind is AttributeType.BOOLEAN:
            flags = parse_booleans(raw)
            self.flag(present & flags.isna(), name, "is not true or false")
            return flags
        if kind is AttributeType.INTEGER:
            ok = is_integer(raw)
            self.flag(present & ~ok, name, "is not a whole number")
            return pd.to_numeric(raw.where(ok), errors="coerce").astype("Int64")
        if kind is AttributeType.DECIMAL:
            self.flag(present & ~is_decimal(raw), name, "is not a decimal number (like 12.50)")
            return raw
        if values is not None:
            self.flag(present & ~raw.isin(values), name, f"must be one of {', '.join(values)}")
        return raw

    def _check_eligibility(self, typed: pd.DataFrame) -> None:
        for cohort in self.spec.cohorts:
            mine = (typed["cohort"] == cohort.id) & ~self.bad
            for rule in cohort.eligibility:
                failed, message = failing_rule(typed, rule)
                self.flag(
                    mine & failed, rule.attribute, f"not eligible for cohort {cohort.id}: {message}"
                )

    def against_stored(
        self, typed: pd.DataFrame, stored: pd.DataFrame, enrolled: dict[str, int]
    ) -> pd.DataFrame:
        """Split off rows already stored (same content: unchanged; else a conflict) and check
        capacity; returns the rows to insert."""
        canonical = canonical_rows(typed, self.spec)
        if len(stored):
            merged = (
                typed[["participant_id"]]
                .assign(_new=canonical)
                .merge(stored, on="participant_id", how="left", validate="many_to_one")
            )
            merged.index = typed.index
            exists = merged["canonical"].notna()
            conflict = exists & (merged["canonical"] != merged["_new"])
            if conflict.any():
                details = pd.Series(
                    [
                        differing_fields(a, b)
                        for a, b in zip(
                            merged.loc[conflict, "_new"],
                            merged.loc[conflict, "canonical"],
                            strict=True,
                        )
                    ],
                    index=merged.index[conflict],
                )
                self.flag(
                    conflict,
                    "participant_id",
                    (
                        "already enrolled with different "
                        + details
                        + ": a participant's record cannot be changed by upload"
                    ).reindex(typed.index, fill_value=""),
                )
        else:
            exists = pd.Series(False, index=typed.index)
        new = typed[~exists].assign(_canonical=canonical[~exists])
        self._check_capacity(new, enrolled)
        return new

    def _check_capacity(self, new: pd.DataFrame, enrolled: dict[str, int]) -> None:
        for cohort in self.spec.cohorts:
            if cohort.capacity is None:
                continue
            # rows refused for another reason do not take a place
            mine = (new["cohort"] == cohort.id) & ~self.bad.reindex(new.index)
            already = enrolled.get(cohort.id, 0)
            position = mine.cumsum() + already
            over = mine & (position > cohort.capacity)
            self.flag(
                over.reindex(self.frame.index, fill_value=False),
                "cohort",
                f"cohort {cohort.id} is full (capacity {cohort.capacity}, "
                f"{already} already enrolled)",
            )


def age_at_start(born: pd.Series, start: pd.Series) -> pd.Series:
    """Whole years of age on the start date (NA when either date is missing)."""
    before_birthday = (start.dt.month * 100 + start.dt.day) < (born.dt.month * 100 + born.dt.day)
    return (start.dt.year - born.dt.year - before_birthday.astype("Int64")).astype("Int64")


def failing_rule(typed: pd.DataFrame, rule: Rule) -> tuple[pd.Series, str]:
    """Rows that fail an eligibility rule (a missing value fails), and what the rule asks."""
    values = typed[rule.attribute]
    if isinstance(rule, AgeAtStart):
        age = age_at_start(values, typed["start_date"])
        ok = pd.Series(True, index=typed.index, dtype="boolean")
        if rule.min is not None:
            ok &= age >= rule.min
        if rule.max is not None:
            ok &= age <= rule.max
        band = (
            f"{rule.min if rule.min is not None else ''}-{rule.max if rule.max is not None else ''}"
        )
        return ~ok.fillna(False).astype(bool), f"age at start must be {band} ({rule.attribute})"
    if isinstance(rule, Flag):
        ok = (values == rule.value).fillna(False).astype(bool)
        return ~ok, f"{rule.attribute} must be {str(rule.value).lower()}"
    ok = values.isin(rule.values).fillna(False).astype(bool)
    return ~ok, f"{rule.attribute} must be one of {', '.join(rule.values)}"


def canonical_rows(typed: pd.DataFrame, spec: ContractSpec) -> pd.Series:
    """Each row's stored content as one JSON text, for comparing an upload with what is stored."""
    attributes = attribute_records(typed, spec)
    return pd.Series(
        [
            json.dumps(
                {"cohort": c, "provider": p, "start_date": _iso(s), "attributes": a}, sort_keys=True
            )
            for c, p, s, a in zip(
                typed["cohort"], typed["provider"], typed["start_date"], attributes, strict=True
            )
        ],
        index=typed.index,
        dtype="str",
    )


def attribute_records(typed: pd.DataFrame, spec: ContractSpec) -> list[dict[str, Any]]:
    """Per row, the declared attributes as JSON values (dates ISO); missing ones left out."""
    columns: dict[str, list[Any]] = {}
    for attribute in spec.attributes:
        values = typed[attribute.name]
        if attribute.type is AttributeType.DATE:
            columns[attribute.name] = [_iso(v) for v in values]
        elif attribute.type is AttributeType.BOOLEAN or attribute.type is AttributeType.INTEGER:
            columns[attribute.name] = [
                None if pd.isna(v) else v.item() if hasattr(v, "item") else v for v in values
            ]
        else:
            columns[attribute.name] = [v or None for v in values]
    names = list(columns)
    return (
        [
            {name: value for name, value in zip(names, row, strict=True) if value is not None}
            for row in zip(*columns.values(), strict=True)
        ]
        if names
        else [{} for _ in range(len(typed))]
    )


def differing_fields(new: str, old: str) -> str:
    """Which fields differ between two canonical rows (for a conflict message)."""
    a, b = json.loads(new), json.loads(old)
    fields = [k for k in ("cohort", "provider", "start_date") if a[k] != b[k]]
    fields += sorted(
        k
        for k in set(a["attributes"]) | set(b["attributes"])
        if a["attributes"].get(k) != b["attributes"].get(k)
    )
    return ", ".join(fields) or "content"


def _iso(value: Any) -> str | None:
    return None if pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _stored(session: Session, contract_id: str, ids: pd.Series) -> pd.DataFrame:
    table = table_of(Participant)
    rows = session.connection().execute(
        select(
            table.c.participant_id,
            table.c.cohort,
            table.c.provider,
            table.c.start_date,
            table.c.attributes,
        ).where(table.c.contract_id == contract_id)
    )
    frame = pd.DataFrame(
        rows.all(), columns=["participant_id", "cohort", "provider", "start_date", "attributes"]
    )
    frame = frame[frame["participant_id"].isin(set(ids))]
    frame["canonical"] = [
        json.dumps(
            {"cohort": c, "provider": p, "start_date": s.isoformat(), "attributes": a},
            sort_keys=True,
        )
        for c, p, s, a in zip(
            frame["cohort"],
            frame["provider"],
            frame["start_date"],
            frame["attributes"],
            strict=True,
        )
    ]
    return frame[["participant_id", "canonical"]]


def _enrolled_per_cohort(session: Session, contract_id: str) -> dict[str, int]:
    table = table_of(Participant)
    rows = session.connection().execute(
        select(table.c.cohort, func.count())
        .where(table.c.contract_id == contract_id)
        .group_by(table.c.cohort)
    )
    return {cohort: count for cohort, count in rows}


def _records(new: pd.DataFrame, contract_id: str, file: str, now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "contract_id": contract_id,
            "participant_id": pid,
            "cohort": c["cohort"],
            "provider": c["provider"],
            "start_date": date.fromisoformat(c["start_date"]),
            "attributes": c["attributes"],
            "enrolled_at": now,
            "source_file": file,
            "source_row": int(row),
        }
        for pid, row, c in zip(
            new["participant_id"], new[ROW], map(json.loads, new["_canonical"]), strict=True
        )
    ]
