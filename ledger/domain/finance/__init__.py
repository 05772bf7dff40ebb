"""Investor finance as pure functions: cash flows, positions, the waterfall, returns, forecast.

Nothing here does I/O: `ledger.services.cash` stores and reads the cash transactions, the reports
and the
CLI call these functions with plain data. Money is integer minor units throughout; a rate (an
IRR, a coupon) is not money and may be a float or a Decimal.
"""
