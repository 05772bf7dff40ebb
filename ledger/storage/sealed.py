"""Participants' declared attributes, sealed with a key of their own, so that they can be erased.

The ledger is append-only and its audit chain hashes what was done, so a person's attributes
cannot be deleted from the facts without breaking either. Instead each person's attributes are
sealed (AES-GCM, a 256-bit key per person, a random 96-bit nonce, the contract and participant
id as associated data so a sealed value cannot be moved to another person) and the key is kept
apart (`participant_keys`, the one table here rows are deleted from by design). Destroying the
key erases the attributes: the ciphertext stays, unreadable, and every fact, posting and audit
record that names the pseudonymous id stays as it was.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, delete, select

from ledger.storage.tables import ParticipantAttributes, ParticipantKey, table_of

NONCE = 12
SLICE = 5_000


def new_key() -> bytes:
    """A fresh 256-bit key for one person."""
    return AESGCM.generate_key(bit_length=256)


def _context(contract_id: str, participant_id: str) -> bytes:
    return f"{contract_id}\x00{participant_id}".encode()


def seal(key: bytes, contract_id: str, participant_id: str, attributes: Mapping[str, Any]) -> bytes:
    """The attributes (JSON values) sealed under `key`: nonce, then ciphertext and tag."""
    nonce = os.urandom(NONCE)
    text = json.dumps(dict(attributes), sort_keys=True, separators=(",", ":")).encode()
    return nonce + AESGCM(key).encrypt(nonce, text, _context(contract_id, participant_id))


def unseal(key: bytes, contract_id: str, participant_id: str, sealed: bytes) -> dict[str, Any]:
    """The attributes sealed by `seal` (InvalidTag: another key, person or a changed value)."""
    opened = AESGCM(key).decrypt(
        sealed[:NONCE], sealed[NONCE:], _context(contract_id, participant_id)
    )
    value = json.loads(opened)
    return value if isinstance(value, dict) else {}


def sealed_rows(
    contract_id: str, people: Sequence[tuple[str, Mapping[str, Any]]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows to insert for newly enrolled people (id, attributes): their keys, and their
    sealed attributes."""
    keys, sealed = [], []
    for participant_id, attributes in people:
        key = new_key()
        keys.append({"contract_id": contract_id, "participant_id": participant_id, "key": key})
        sealed.append(
            {
                "contract_id": contract_id,
                "participant_id": participant_id,
                "sealed": seal(key, contract_id, participant_id, attributes),
            }
        )
    return keys, sealed


def opened_attributes(
    connection: Connection, contract_id: str, participant_ids: Iterable[str] | None = None
) -> dict[str, dict[str, Any]]:
    """Participant id -> their attributes, for those whose key still exists (a withdrawn
    person's are erased: they are left out). `participant_ids`: only these (default: all)."""
    sealed, keys = table_of(ParticipantAttributes), table_of(ParticipantKey)
    query = (
        select(sealed.c.participant_id, sealed.c.sealed, keys.c.key)
        .join(
            keys,
            (keys.c.contract_id == sealed.c.contract_id)
            & (keys.c.participant_id == sealed.c.participant_id),
        )
        .where(sealed.c.contract_id == contract_id)
    )
    queries = [query]
    if participant_ids is not None:
        wanted = sorted(set(participant_ids))
        # in slices: a database takes only so many parameters in one statement
        queries = [
            query.where(sealed.c.participant_id.in_(wanted[i : i + SLICE]))
            for i in range(0, len(wanted), SLICE)
        ]
    found: dict[str, dict[str, Any]] = {}
    for each in queries:
        for participant_id, blob, key in connection.execute(each):
            try:
                found[participant_id] = unseal(bytes(key), contract_id, participant_id, bytes(blob))
            except InvalidTag:
                # a sealed value that does not open with its own key was tampered with
                continue
    return found


def destroy_keys(connection: Connection, contract_id: str, participant_ids: Sequence[str]) -> int:
    """Erase these people's attributes by deleting their keys; how many keys were destroyed.
    On SQLite the deleted pages are overwritten (secure_delete), so no copy of a key is left in
    the file."""
    if not participant_ids:
        return 0
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA secure_delete = ON")
    keys = table_of(ParticipantKey)
    wanted = sorted(set(participant_ids))
    destroyed = 0
    for i in range(0, len(wanted), SLICE):
        result = connection.execute(
            delete(keys).where(
                keys.c.contract_id == contract_id,
                keys.c.participant_id.in_(wanted[i : i + SLICE]),
            )
        )
        destroyed += int(result.rowcount or 0)
    return destroyed
