"""`evaluate_example`: what the engine makes of an example embedded in a spec (`spec test`)."""

from __future__ import annotations

from dataclasses import replace

from contract_specs.example_caps import example_spec
from contract_specs.examples_runner import EvaluatedExample
from contract_specs.model import ContractSpec, Example, ExpectedLine, ExpectedNotPayable, from_minor
from ledger.domain.entitlement.engine import compute_entitlement
from ledger.domain.entitlement.people import enrolment_refused, people_of
from ledger.domain.entitlement.rows import facts_from_rows


def evaluate_example(spec: ContractSpec, example: Example) -> EvaluatedExample:
    """The example's non-zero lines (amounts as Decimals, `cut_by` "" when no cap cut them) and
    every evidence row that counts for nothing."""
    spec = example_spec(spec, example)  # the example's own caps, where it scales them down
    facts = facts_from_rows(spec, example.participants, example.evidence, example.results)
    # an example lists participants as a provider would upload them: enrolment refuses some
    refused = enrolment_refused(spec, people_of(spec, facts.participants))
    enrolled = replace(facts, participants=facts.participants[~refused].reset_index(drop=True))
    entitlement = compute_entitlement(spec, enrolled)
    exponent = spec.contract.exponent
    paid = entitlement.lines[entitlement.lines["amount"] != 0]
    lines = tuple(
        ExpectedLine(
            participant_id=row.participant_id,
            metric=row.metric,
            payer=row.payer,
            amount=from_minor(int(row.amount), exponent),
            occurrence=int(row.occurrence),
            cut_by=row.cut_by,
        )
        for row in paid.itertuples(index=False)
    )
    not_payable = tuple(
        ExpectedNotPayable(evidence_id=row.evidence_id, reason=row.reason)
        for row in entitlement.not_payable.itertuples(index=False)
    )
    return EvaluatedExample(lines=lines, not_payable=not_payable)
