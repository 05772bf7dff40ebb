"""The one rule for an evidence row's status: its latest decision, else automatic (counting as
verified) where its metric or measure is verified automatically, else pending."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from contract_specs.model import Verification
from ledger.domain.entitlement import status as rule
from tests.conftest import small_spec


def _codes(*words: str) -> np.ndarray:
    return np.array([rule.code(w) for w in words], dtype=np.int8)


def test_no_decision_is_automatic_on_an_automatic_metric_and_pending_elsewhere() -> None:
    got = rule.standing(_codes("pending", "pending"), np.array([True, False]))
    assert [rule.STATUSES[c] for c in got] == ["automatic", "pending"]


@pytest.mark.parametrize("decision", ["verified", "rejected", "revoked"])
@pytest.mark.parametrize("automatic", [True, False])
def test_a_decision_wins_whatever_the_verification(decision: str, automatic: bool) -> None:
    got = rule.standing(_codes(decision), np.array([automatic]))
    assert rule.STATUSES[got[0]] == decision


def test_the_word_automatic_on_a_metric_that_requires_verification_is_pending() -> None:
    got = rule.standing(_codes("automatic", "automatic"), np.array([False, True]))
    assert [rule.STATUSES[c] for c in got] == ["pending", "automatic"]


def test_only_verified_and_automatic_evidence_counts() -> None:
    statuses = _codes("pending", "verified", "rejected", "revoked", "automatic")
    assert rule.counts(statuses).tolist() == [False, True, False, False, True]
    assert not rule.counts(np.array([-1, rule.NOT_STORED], dtype=np.int8)).any()


def test_words_unknown_and_missing_are_minus_one_and_none_is_pending_when_asked() -> None:
    got = rule.codes(np.array(["verified", "nonsense", None, "revoked"], dtype=object))
    assert got.tolist() == [rule.code("verified"), -1, -1, rule.code("revoked")]


def test_decision_numbers_none_is_pending() -> None:
    numbers = np.array([-1, *range(len(rule.DECISIONS))])
    got = rule.from_decision_numbers(numbers)
    assert [rule.STATUSES[c] for c in got] == ["pending", *rule.DECISIONS]


def test_the_spec_says_which_metrics_and_measures_are_automatic() -> None:
    spec = small_spec()
    metrics = tuple(
        dataclasses.replace(m, verification=Verification.AUTOMATIC) if m.id == "nqf2" else m
        for m in spec.metrics
    )
    measures = tuple(
        dataclasses.replace(m, verification=Verification.AUTOMATIC) for m in spec.measures
    )
    spec = dataclasses.replace(spec, metrics=metrics, measures=measures)
    named = np.array(["nqf2", "job_entry", "earnings", "nope"], dtype=object)
    assert rule.is_automatic(named, spec).tolist() == [True, False, True, False]


def test_words_show_automatic_evidence_as_verified_to_the_engine_and_reports() -> None:
    statuses = _codes("pending", "verified", "rejected", "revoked", "automatic")
    assert list(rule.words(statuses)) == ["pending", "verified", "rejected", "revoked", "verified"]
