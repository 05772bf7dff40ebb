"""The digest of what decided a run: the spec's content and the facts as of the cut-off."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from contract_specs.model import ContractSpec
from ledger.entitlement.types import Facts


def inputs_hash(spec: ContractSpec, facts: Facts) -> str:
    """A digest of what decided a run: the spec's content and the facts as of the cut-off
    (the ledger hands facts over sorted by id, so equal facts give equal digests)."""
    digest = hashlib.sha256(spec.content_hash.encode())
    for frame in (facts.participants, facts.evidence, facts.results):
        digest.update(",".join(map(str, frame.columns)).encode())
        for column in frame.columns:
            digest.update(_column_bytes(frame[column]))
    return digest.hexdigest()


def _column_bytes(values: pd.Series) -> bytes:
    """A column's content as bytes. Text becomes a fixed-width array (each value padded to the
    longest, so no two columns run together the same way): numpy converts millions of ids in
    a fraction of the time pandas takes to hash them one by one."""
    if pd.api.types.is_string_dtype(values.dtype) or values.dtype == object:
        text = values.astype("str").fillna("").to_numpy(dtype=object)
        missing = np.packbits(values.isna().to_numpy(dtype=bool)).tobytes()
        return np.asarray(text, dtype=np.str_).tobytes() + missing
    return pd.util.hash_pandas_object(values, index=False).to_numpy().tobytes()
