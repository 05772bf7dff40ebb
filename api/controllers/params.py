"""Parameter markers shared by the controllers (explicit, as Litestar 2.22+ wants them)."""

from __future__ import annotations

from typing import Annotated

from litestar.enums import RequestEncodingType
from litestar.params import Body, HeaderParameter, PathParameter

from api.dto import UploadForm
from ledger.storage.settings import Settings

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


def _default(name: str) -> object:
    return Settings.model_fields[name].default


# what the import routes' descriptions say (docs/api.md says the same): the defaults, not
# whatever this process's environment sets, so that the OpenAPI document stays one document
UPLOAD_LIMITS = (
    f"Limits (by default): at most {_default('api_upload_max_bytes')} bytes and "
    f"{_default('api_upload_max_rows')} rows per upload (more is 413 `too_large`), "
    f"{_default('upload_max_cell_chars')} characters per cell and no control characters "
    "(422 at the row and column); settings OUTCOMES_API_UPLOAD_MAX_BYTES, "
    "OUTCOMES_API_UPLOAD_MAX_ROWS and OUTCOMES_UPLOAD_MAX_CELL_CHARS."
)


Multipart = Annotated[
    UploadForm,
    Body(
        media_type=RequestEncodingType.MULTI_PART,
        description="One .csv (UTF-8) or .xlsx file in the part named `file`, with a filename.",
    ),
]
