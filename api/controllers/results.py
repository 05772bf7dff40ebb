"""Cohort-level results from evaluators (observed vs comparison, units, evaluation date)."""

from __future__ import annotations

from litestar import Controller

from api.auth import allow
from api.controllers.imports import RESULTS, import_handlers
from contract_specs.model import Role


class ResultsController(Controller):
    """Submit cohort results; a correction names the result it supersedes."""

    path = "/api/contracts/{contract_id:str}"
    tags = ("cohort results",)
    # evaluators submit results; the intermediary may load them on their behalf
    guards = (allow(Role.INTERMEDIARY, Role.EVALUATOR),)

    results_rows, results_file = import_handlers(
        RESULTS,
        path="/results",
        operation="Results",
        what="Submit cohort results",
        columns="result_id, metric, cohort, observed, comparison, units, evaluated_on "
        "(reference and supersedes optional)",
    )
