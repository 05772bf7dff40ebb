"""An example's own caps (issue 16, item 7): a real contract's caps and commitments bind only
after thousands of participants, so an example may scale them down to test a cap in a few
rows. The spec the example runs under is the spec with those caps replaced; nothing else
changes, and the spec itself (its hash, its stored version) is untouched."""

from __future__ import annotations

from dataclasses import replace

from contract_specs.model import ContractSpec, Example


def example_spec(spec: ContractSpec, example: Example) -> ContractSpec:
    """The spec `example` runs under: its own caps, where it gives any, instead of the spec's."""
    caps = example.caps
    if caps is None:
        return spec
    contract_caps = replace(
        spec.caps,
        **{
            name: value
            for name, value in (
                ("per_participant", caps.per_participant),
                ("contract", caps.contract),
            )
            if value is not None
        },
    )
    payers = tuple(
        replace(payer, commitment=caps.commitments.get(payer.party, payer.commitment))
        for payer in spec.payers
    )
    metrics = tuple(replace(m, caps=caps.metrics.get(m.id, m.caps)) for m in spec.metrics)
    cohort_metrics = tuple(
        replace(m, caps=caps.metrics.get(m.id, m.caps)) for m in spec.cohort_metrics
    )
    return replace(
        spec, caps=contract_caps, payers=payers, metrics=metrics, cohort_metrics=cohort_metrics
    )
