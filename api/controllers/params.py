"""Parameter markers shared by the controllers (explicit, as Litestar 2.22+ wants them)."""

from __future__ import annotations

from typing import Annotated

from litestar.enums import RequestEncodingType
from litestar.params import Body, HeaderParameter, PathParameter

from api.dto import UploadForm

# the largest number a database integer column holds (PostgreSQL's integer): larger numbers in
# a path or query are refused as bad requests before any query is made
MAX_INT = 2**31 - 1

VersionNumber = Annotated[
    int, PathParameter(ge=1, le=MAX_INT, description="A spec version number: 1, 2, ...")
]

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        required=False,
        description="A fresh random id per write; a retry with the same id is answered from "
        "the first response and writes nothing again.",
    ),
]

Multipart = Annotated[
    UploadForm,
    Body(
        media_type=RequestEncodingType.MULTI_PART,
        description="One .csv or .xlsx file in the part named `file`.",
    ),
]
