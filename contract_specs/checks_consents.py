"""Semantic checks on the consents a contract relies on (`consents:`).

Each consent is a true/false column of the participants file, beside the declared attributes:
its name may not be another column's. Paying for outcomes needs the person's consent, so a
consent that allows `outcome_payments` must be required: otherwise someone enrolled without it
could be paid for.
"""

from __future__ import annotations

from collections.abc import Iterator

from contract_specs.checks_refs import PARTICIPANT_COLUMNS
from contract_specs.docwalk import Doc, listing, mapping
from contract_specs.findings import Finding, error, jpath

# a column of spec examples' participants (the day they withdrew), never a consent or attribute
WITHDRAWN_ON = "withdrawn_on"


def check_consents(doc: Doc) -> Iterator[Finding]:
    """Consent names clash with no column; a consent to be paid for outcomes is required."""
    attributes = mapping(doc.get("attributes"))
    for name, declared in mapping(doc.get("consents")).items():
        place = jpath("consents", name)
        if name in PARTICIPANT_COLUMNS or name == WITHDRAWN_ON:
            yield error(
                place,
                f"`{name}` is already a column of participants ("
                f"{listing([*PARTICIPANT_COLUMNS, WITHDRAWN_ON])}): give the consent another name",
            )
        elif name in attributes:
            yield error(
                place,
                f"`{name}` is also an attribute: a consent and an attribute are each a column "
                "of the participants file, so give one of them another name",
            )
        declared = mapping(declared)
        allows = declared.get("allows")
        if (
            isinstance(allows, list)
            and "outcome_payments" in allows
            and declared.get("required", True) is False
        ):
            yield error(
                jpath("consents", name, "required"),
                "a consent that allows `outcome_payments` must be required: nobody may be "
                "enrolled, and paid for, without it (remove `required: false`)",
            )
    if WITHDRAWN_ON in attributes:
        yield error(
            jpath("attributes", WITHDRAWN_ON),
            f"`{WITHDRAWN_ON}` is the day a participant withdrew, recorded by `outcomes "
            "participants withdraw`: give the attribute another name",
        )
