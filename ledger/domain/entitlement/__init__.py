"""The entitlement engine: a pure function of a spec version and the facts as of a cut-off.

Public surface (see types.py for the frames):
    compute_entitlement(spec, facts) -> Entitlement
    facts_from_rows(spec, participants, evidence, results) -> Facts
    evaluate_example(spec, example) -> EvaluatedExample   # for `outcomes spec test`
"""

from ledger.domain.entitlement.engine import compute_entitlement
from ledger.domain.entitlement.examples import evaluate_example
from ledger.domain.entitlement.rows import FactsError, Problem, facts_from_rows
from ledger.domain.entitlement.types import Entitlement, Facts

__all__ = [
    "Entitlement",
    "Facts",
    "FactsError",
    "Problem",
    "compute_entitlement",
    "evaluate_example",
    "facts_from_rows",
]
