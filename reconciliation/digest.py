"""The digest of what decided a run: the spec's content and the facts as of the cut-off."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from contract_specs.model import ContractSpec
from ledger.domain.entitlement.types import Facts

# each frame's identifying column: rows are digested in its order, so the order in which the
# ledger hands the facts over does not matter
IDS = ("participant_id", "evidence_id", "result_id")


def inputs_hash(spec: ContractSpec, facts: Facts) -> str:
    """A digest of what decided a run: the spec's content and the facts as of the cut-off
    (equal facts give equal digests, in whatever row order they come)."""
    digest = hashlib.sha256(spec.content_hash.encode())
    frames = (facts.participants, facts.evidence, facts.results)
    for frame, id_column in zip(frames, IDS, strict=True):
        digest.update(",".join(map(str, frame.columns)).encode())
        order = pc.sort_indices(_text(frame[id_column])) if len(frame) else None
        for column in frame.columns:
            for part in _column_parts(frame[column], order):
                digest.update(part)
    return digest.hexdigest()


def _text(values: pd.Series) -> pa.Array:
    """A text column as one Arrow array (no copy of the cells when it is Arrow-backed)."""
    array = pa.array(values.astype("str"), type=pa.large_string(), from_pandas=True)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _column_parts(values: pd.Series, order: pa.Array | None) -> Iterator[bytes | memoryview]:
    """A column's content as bytes, rows in `order`. Text is its cells' lengths, then their
    UTF-8 bytes back to back, then which are missing: Arrow holds exactly that, so millions of
    ids are digested without one Python string each."""
    if pd.api.types.is_string_dtype(values.dtype) or values.dtype == object:
        array = _text(values)
        if order is not None:
            array = array.take(order)
        offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)
        offsets = offsets[array.offset : array.offset + len(array) + 1]
        data = array.buffers()[2]
        yield np.diff(offsets).tobytes()
        if data is not None and len(array):
            yield memoryview(data)[offsets[0] : offsets[-1]]
        yield np.packbits(array.is_null().to_numpy(zero_copy_only=False)).tobytes()
        return
    if order is not None:
        values = values.iloc[order.to_numpy()]
    yield pd.util.hash_pandas_object(values, index=False).to_numpy().tobytes()
