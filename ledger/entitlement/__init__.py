"""The entitlement engine: a pure function of a spec version and the facts as of a cut-off.

Public surface (see types.py for the frames):
    compute_entitlement(spec, facts) -> Entitlement
    facts_from_rows(spec, participants, evidence, results) -> Facts
    evaluate_example(spec, example) -> EvaluatedExample   # for `outcomes spec test`
"""
