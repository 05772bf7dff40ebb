"""Not-payable reasons as small integer codes (0: the row still counts)."""

from __future__ import annotations

from ledger.domain.entitlement.types import NOT_PAYABLE_REASONS

COUNTS = 0
CODE = {name: number for number, name in enumerate(NOT_PAYABLE_REASONS, start=1)}
NAME = ("", *NOT_PAYABLE_REASONS)
