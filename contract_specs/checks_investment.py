"""Semantic checks of the optional `investment:` section (tranches and service fees).

Like every check, these read the document defensively and collect findings with the JSON path
of the offending node, so an author sees every problem of the section in one pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from contract_specs.checks_refs import ref
from contract_specs.docwalk import Doc, Names, as_decimal, decimal_places, entries, mapping
from contract_specs.findings import Finding, error, jpath

_NEEDS_AMOUNT = ("fixed", "deferred")


def check_investment(doc: Doc, names: Names) -> Iterator[Finding]:
    """Every problem of `investment.tranches` and `investment.service_fees`."""
    investment = mapping(doc.get("investment"))
    if not investment:
        return
    seen: dict[str, str] = {}
    for i, tranche in entries(investment.get("tranches")):
        path = ("investment", "tranches", i)
        tranche_id = tranche.get("id")
        if isinstance(tranche_id, str):
            if tranche_id in seen:
                yield error(
                    jpath(*path, "id"),
                    f"tranche id `{tranche_id}` is already used at {seen[tranche_id]}: "
                    "give each tranche its own id",
                )
            seen.setdefault(tranche_id, jpath(*path, "id"))
        yield from _role(jpath(*path, "investor"), tranche.get("investor"), "investor", names)
        yield from _money_decimals(jpath(*path, "commitment"), tranche.get("commitment"), names)
        if "coupon_percent" in tranche and "target_return_percent" in tranche:
            yield error(
                jpath(*path),
                "a tranche has a `coupon_percent` (loans) or a `target_return_percent` (equity), "
                "not both: keep the one its terms state",
            )
        multiple = as_decimal(mapping(tranche.get("cap")).get("multiple"))
        if multiple is not None and multiple < 1:
            yield error(
                jpath(*path, "cap", "multiple"),
                f"a cap of {multiple} times the capital would not even give the capital back: "
                'write a multiple of at least 1 (e.g. "1.5")',
            )
    for i, fee in entries(investment.get("service_fees")):
        yield from _fee(("investment", "service_fees", i), fee, names)


def _fee(path: tuple[str | int, ...], fee: Doc, names: Names) -> Iterator[Finding]:
    yield from _role(jpath(*path, "provider"), fee.get("provider"), "provider", names)
    kind = fee.get("kind")
    if kind in _NEEDS_AMOUNT:
        if "amount" not in fee:
            yield error(jpath(*path), f"a {kind} fee needs its total `amount`: add it")
        if "percent" in fee:
            yield error(
                jpath(*path, "percent"),
                f"a {kind} fee is an amount, not a percentage: remove `percent` "
                "(or make the fee `outcome_linked`)",
            )
    elif kind == "outcome_linked":
        if "percent" not in fee:
            yield error(
                jpath(*path),
                "an outcome_linked fee needs the `percent` of outcome income it takes: add it",
            )
        if "amount" in fee:
            yield error(
                jpath(*path, "amount"),
                "an outcome_linked fee is a percentage of outcome income: remove `amount`",
            )
        percent = as_decimal(fee.get("percent"))
        if percent is not None and percent > 100:
            yield error(jpath(*path, "percent"), f'{percent}% is more than 100%: at most "100"')
    yield from _money_decimals(jpath(*path, "amount"), fee.get("amount"), names)


def _role(path: str, party: object, role: str, names: Names) -> Iterator[Finding]:
    known = list(ref(path, party, "party", names))
    yield from known
    if not known and isinstance(party, str) and names.parties.get(party) != role:
        yield error(
            path,
            f"party `{party}` has role {names.parties.get(party)}, not {role}: "
            f"name a party with role {role}",
        )


def _money_decimals(path: str, value: object, names: Names) -> Iterator[Finding]:
    amount = as_decimal(value)
    if amount is None or names.exponent is None:
        return
    if decimal_places(amount) > names.exponent:
        yield error(
            path,
            f"{amount} has more decimals than the currency's {names.exponent}: "
            f"round it to {amount.quantize(Decimal(1).scaleb(-names.exponent))}",
        )
