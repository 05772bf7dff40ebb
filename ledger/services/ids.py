"""The ids of an upload, checked and turned into ledger keys before anything is looked up.

A party writes local ids (ledger.storage.keys): a provider its own, which are qualified with its own
party id, so that its file is only ever compared with its own namespace and every answer it
gets is about its own rows. A party who sees every provider (the intermediary, a validator, a
payer) may write a key `<provider>/<local id>`, a local id and a `provider` column, or a local
id that exactly one provider has; an ambiguous one is refused naming the providers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import select
from sqlmodel import Session

from ledger.domain.errors import AmbiguousParticipant, UnknownParticipant
from ledger.intake.row_checks import RowChecks
from ledger.services.contracts import require_contract
from ledger.storage import keys
from ledger.storage.tables import Participant, table_of

PROVIDER_COLUMN = "provider"  # optional in evidence and decision files


def flag_bad_ids(checks: RowChecks, column: str, bad: pd.Series, also: str = "") -> None:
    """Flag the rows `bad` of `column`, each saying what is wrong with its id and what an id is
    (`also`: what else the column may hold)."""
    if not bad.any():
        return
    values = checks.frame[column][bad]
    said = pd.Series(
        [f"{keys.what_is_wrong(v)}: {keys.LOCAL_ID_RULE}{also}" for v in values],
        index=values.index,
        dtype="object",
    )
    checks.flag(bad, column, said.reindex(checks.frame.index))


def check_local(checks: RowChecks, column: str) -> np.ndarray:
    """Flag the values of `column` that are not local ids; returns which rows are."""
    values = checks.frame[column]
    ok = keys.local_ok(values)
    flag_bad_ids(checks, column, pd.Series(~ok, index=values.index) & (values != ""))
    return ok


def qualify_local(checks: RowChecks, column: str, provider: str | pd.Series) -> np.ndarray:
    """Check `column` holds local ids and replace each with its key in `provider`'s namespace
    (one provider, or the row's own; rows without one keep their value). Returns which rows
    now hold a key."""
    ok = check_local(checks, column)
    if not isinstance(provider, str):
        ok &= (provider != "").to_numpy(bool)
    if ok.any():
        rows = pd.Series(ok, index=checks.frame.index)
        mine = provider if isinstance(provider, str) else provider[rows]
        qualified = keys.qualify(mine, checks.frame.loc[rows, column])
        checks.frame[column] = checks.frame[column].where(~rows, qualified)
    return ok


def resolve_column(
    checks: RowChecks, column: str, stored: pa.Array, what: str
) -> tuple[np.ndarray, np.ndarray]:
    """For a party who sees every provider: replace each id of `column` with the stored key
    it names (ledger.storage.keys.resolve), flagging an id that is malformed, contradicts the row's
    `provider` column or is ambiguous (`what`: "is enrolled by", "is evidence of"). Returns
    the stored row each names (-1: none) and which rows were flagged here (a row naming none
    that is not flagged here is unknown, for the caller to say so)."""
    frame = checks.frame
    provider = frame.get(PROVIDER_COLUMN)
    found = keys.resolve(frame[column], provider, stored)
    index = frame.index
    flag_bad_ids(
        checks,
        column,
        pd.Series(found.malformed, index=index),
        " (or provider/id, the provider's id first, as a report shows it)",
    )
    if found.mismatch.any():
        checks.flag(
            pd.Series(found.mismatch, index=index),
            PROVIDER_COLUMN,
            f"is not the provider the {column} names: leave it empty or make them agree",
        )
    if found.ambiguous:
        rows = list(found.ambiguous)
        said = pd.Series(
            [
                f"{what} more than one provider ({', '.join(owners)}): write it as "
                f"provider/id (like {owners[0]}/{local}) or add a provider column"
                for owners, local in zip(
                    found.ambiguous.values(), frame[column].iloc[rows], strict=True
                )
            ],
            index=index[rows],
            dtype="object",
        )
        checks.flag(pd.Series(True, index=index[rows]), column, said.reindex(index))
    frame[column] = frame[column].where(found.at < 0, found.keys)
    flagged = found.malformed | found.mismatch
    flagged[list(found.ambiguous)] = True
    return found.at, flagged


def wanted_keys(
    session: Session, contract_id: str, frame: pd.DataFrame, column: str, at_most: int
) -> list[str] | None:
    """The keys the ids of `column` may mean, to look them up through the unique index: a key
    itself; a local id with a `provider`, qualified with it; a local id alone, qualified with
    each provider of the contract. None when there would be more than `at_most`."""
    written = frame[column]
    given = (
        (frame[PROVIDER_COLUMN] != "").to_numpy(bool)
        if PROVIDER_COLUMN in frame
        else np.zeros(len(frame), dtype=bool)
    )
    local = keys.local_ok(written)
    wanted = set(written[keys.qualified_ok(written)])
    with_column = pd.Series(local & given, index=frame.index)
    if with_column.any():
        mine = frame.loc[with_column, PROVIDER_COLUMN]
        wanted.update(keys.qualify(mine, written[with_column]))
    alone = set(written[local & ~given])
    if alone:
        people = table_of(Participant)
        providers = session.scalars(
            select(people.c.provider).where(people.c.contract_id == contract_id).distinct()
        ).all()
        if len(wanted) + len(alone) * len(providers) > at_most:
            return None
        wanted.update(keys.qualified(p, a) for p in providers for a in alone)
    return sorted(wanted) if len(wanted) <= at_most else None


def participant_named(
    session: Session, contract_id: str, named: str, provider: str | None = None
) -> str:
    """The key of the participant a party names: `provider`'s own local id when a provider is
    given (a provider's token, or a party saying whose); else a key `<provider>/<local id>`,
    or a local id that exactly one provider has. UnknownParticipant (the name as written)
    when it names nobody, AmbiguousParticipant when several providers have it."""
    require_contract(session, contract_id)
    people = table_of(Participant)
    if provider is not None or keys.is_qualified(named):
        key = keys.qualified(provider, named) if provider is not None else named
        if provider is not None and not keys.is_local(named):
            raise UnknownParticipant(contract_id, named)
        candidates = [key]
    elif keys.is_local(named):
        providers = session.scalars(
            select(people.c.provider).where(people.c.contract_id == contract_id).distinct()
        ).all()
        candidates = [keys.qualified(p, named) for p in providers]
    else:
        raise UnknownParticipant(contract_id, named)
    found = sorted(
        session.scalars(
            select(people.c.participant_id).where(
                people.c.contract_id == contract_id, people.c.participant_id.in_(candidates)
            )
        ).all()
    )
    if not found:
        raise UnknownParticipant(contract_id, named)
    if len(found) > 1:
        raise AmbiguousParticipant(contract_id, named, (keys.provider_of(k) or "" for k in found))
    return str(found[0])
