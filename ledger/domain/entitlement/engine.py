"""`compute_entitlement`: spec version + facts -> entitlement lines and not-payable rows.

The steps follow SEMANTICS 3 and 4 (docs/semantics.md): check evidence rows, turn measure rows
into threshold claims, check claims, merge them into occurrences, prerequisites and the limit,
price what is payable, add the cohort-level payments, then walk the caps in the canonical order
and split between payers. Everything is vectorised over integer-coded columns; the only loops
are over metrics, cohorts, payers and caps.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from contract_specs.model import ContractSpec, to_minor
from ledger.domain.entitlement.caps import CUT_NAMES, CapLimits, CapOutcome, CapRows, apply_caps
from ledger.domain.entitlement.coding import distinct_rows, join_sorted, positions, text_column
from ledger.domain.entitlement.cohort import cohort_payments
from ledger.domain.entitlement.dates import day_number
from ledger.domain.entitlement.evidence import check_rows, events_of, things_of
from ledger.domain.entitlement.not_payable import not_payable_frame
from ledger.domain.entitlement.occurrences import Occurrences, check_claims, occurrences_of
from ledger.domain.entitlement.people import People, people_of
from ledger.domain.entitlement.quantities import half_up_product, share
from ledger.domain.entitlement.schedules import every_metric
from ledger.domain.entitlement.shares import ShareTable, share_ids, share_table, split
from ledger.domain.entitlement.tariffs import Prices, prices_of
from ledger.domain.entitlement.thresholds import Claims, plain_claims, threshold_claims
from ledger.domain.entitlement.types import LINE_COLUMNS, NOT_PAYABLE_COLUMNS, Entitlement, Facts

PAYER_COMMITMENT = len(CUT_NAMES)
LINE_CUT_NAMES = (*CUT_NAMES, "payer_commitment")


@dataclass(frozen=True)
class Payable:
    """Payable occurrences (individual, then cohort-level) sorted in the canonical cap order.

    The text columns stay in `texts`, unsorted; `source` points into them, so that millions of
    strings are gathered once, when the lines are built, and only for the lines wanted. A line
    names its participant (or cohort) by `who`, a row of `names`."""

    position: np.ndarray  # metric position (cohort metrics after the individual ones)
    n: np.ndarray
    day: np.ndarray
    price: np.ndarray
    tariff: np.ndarray  # the tariff in force (before any quantity); -1: none (cohort-level)
    rule: np.ndarray  # index into `labels`, -1: no tariff in force
    labels: tuple[str, ...]
    person: np.ndarray  # participant number; -1 for cohort-level lines (no participant cap)
    occurrence: np.ndarray  # index into Occurrences; -1 for cohort-level lines
    source: np.ndarray  # row of `texts`
    texts: dict[str, np.ndarray]  # cohort, provider (object), unsorted
    who: np.ndarray  # row of `names`, unsorted like `texts`
    names: np.ndarray  # participant ids, then "cohort:<id>" for cohort-level lines (object)
    evidence_ids: Callable[[np.ndarray], np.ndarray]  # rows of `texts` -> ";"-joined ids


# Which lines a caller wants, decided on their keys before any text is gathered: it receives
# participant_id, metric, occurrence, payer and achieved_on (text as categoricals) and answers
# a boolean mask. Reconciliation wants the few lines due in one period out of millions.
Wanted = Callable[[pd.DataFrame], np.ndarray]


def no_lines(keys: pd.DataFrame) -> np.ndarray:
    """`wanted` for a caller that needs only the not-payable rows (no key frame is built)."""
    return np.zeros(len(keys), dtype=bool)


def compute_entitlement(
    spec: ContractSpec,
    facts: Facts,
    *,
    wanted: Wanted | None = None,
    not_payable: bool | Collection[str] = True,
) -> Entitlement:
    """The entitlement of a spec version given the facts as of a cut-off (pure).

    `wanted` keeps only the lines it selects (every line by default); `not_payable` may be
    False (an empty not-payable frame, for callers that need only the lines) or the ids of the
    participants whose evidence it should cover. Neither changes any amount or reason: caps
    are applied over every line first."""
    people = people_of(spec, facts.participants, facts.judged)
    if not people.ids.is_unique:
        twice = sorted(set(people.ids[people.ids.duplicated()]))[:5]
        raise ValueError(f"participant ids must be unique in a contract; repeated: {twice}")
    things = things_of(spec)
    evidence = facts.evidence.reset_index(drop=True)
    rows = check_rows(spec, evidence, people, things)
    measure_claims, unused, unused_reason = threshold_claims(spec, rows, things)
    claims = Claims.concat([plain_claims(rows, things), measure_claims])
    claim_reason = check_claims(spec, claims, people)
    occurrences = occurrences_of(
        spec, claims, claim_reason, len(people.ids), events_of(rows, things)
    )

    payable = _payable(spec, facts, people, occurrences, claims, evidence)
    table = share_table(spec)
    shares = share_ids(spec, table, payable.position, payable.day)
    numerators = table.numerators[shares]
    outcome = apply_caps(
        CapRows(payable.price, payable.person, payable.position, numerators, table.denominator),
        _limits(spec, len(people.ids)),
    )
    if not_payable is False or (not_payable is not True and not not_payable):
        return Entitlement(
            _lines(spec, payable, numerators, outcome, table, shares, wanted),
            pd.DataFrame({name: [] for name in NOT_PAYABLE_COLUMNS}),
        )
    unpaid = not_payable_frame(
        spec,
        evidence,
        people,
        rows,
        (unused, unused_reason),
        claims,
        claim_reason,
        occurrences,
        payable.occurrence,
        outcome,
        payable.price,
        None if not_payable is True else positions(list(not_payable), people.ids),
    )
    lines = _lines(spec, payable, numerators, outcome, table, shares, wanted)
    return Entitlement(lines, unpaid)


def _evidence_ids(
    occurrences: Occurrences, claims: Claims, evidence: pd.DataFrame, chosen: np.ndarray
) -> np.ndarray:
    """ ";"-joined sorted evidence ids of the chosen occurrences (in that order)."""
    of_claim = occurrences.of_claim
    # only the claims of the chosen occurrences: ids are text, and millions of them cost
    use = np.flatnonzero(of_claim >= 0)
    use = use[np.isin(of_claim[use], chosen)]
    ids = evidence["evidence_id"].iloc[claims.row[use]].astype(str).to_numpy(dtype=object)
    place = np.full(len(occurrences.person), -1, dtype=np.int64)
    place[chosen] = np.arange(len(chosen))
    return join_sorted(place[of_claim[use]], ids, len(chosen))


def _payable(
    spec: ContractSpec,
    facts: Facts,
    people: People,
    occurrences: Occurrences,
    claims: Claims,
    evidence: pd.DataFrame,
) -> Payable:
    chosen = np.flatnonzero(occurrences.reason == 0)
    person = occurrences.person[chosen]
    position = occurrences.metric[chosen]
    day = occurrences.day[chosen]
    prices = prices_of(spec, position, day, people.cohort_number[person], occurrences.n[chosen])
    price = on_quantities(spec, position, prices, occurrences.units[chosen])
    labels = list(prices.labels)

    payments = cohort_payments(spec, facts.results)
    cohort_rule = np.arange(len(payments), dtype=np.int64) + len(labels)
    labels.extend(p.label for p in payments)

    def join(individual: np.ndarray, cohort: list[Any], dtype: Any = object) -> np.ndarray:
        return np.concatenate([individual, np.array(cohort, dtype=dtype)])

    cohort_ids = [f"cohort:{p.cohort}" for p in payments]
    texts = {
        "cohort": join(people.cohort[person], [p.cohort for p in payments]),
        "provider": join(people.provider[person], ["" for _ in payments]),
    }
    result_ids = np.array([p.result_id for p in payments], dtype=object)

    def evidence_ids(rows: np.ndarray) -> np.ndarray:
        # a line per payer: the same occurrence often twice
        distinct, each = np.unique(rows, return_inverse=True)
        individual = distinct < len(chosen)
        joined = np.empty(len(distinct), dtype=object)
        joined[individual] = _evidence_ids(
            occurrences, claims, evidence, chosen[distinct[individual]]
        )
        joined[~individual] = result_ids[distinct[~individual] - len(chosen)]
        return joined[each]

    position = join(position, [spec.metric_position(p.metric.id) for p in payments], np.int64)
    day = join(day, [day_number(p.evaluated_on) for p in payments], np.int64)
    # the canonical order: (achieved_on, metric position, participant id); participant ids
    # are ranked once per participant, not once per occurrence
    every_id = join(people.ids.to_numpy(dtype=object), cohort_ids)
    id_rank = np.empty(len(every_id), dtype=np.int64)
    id_rank[np.argsort(every_id, kind="stable")] = np.arange(len(every_id))
    who = join(person, list(range(len(people.ids), len(every_id))), np.int64)
    order = np.lexsort((id_rank[who], position, day))
    return Payable(
        position=position[order],
        n=join(occurrences.n[chosen], [p.occurrence for p in payments], np.int64)[order],
        day=day[order],
        price=join(price, [p.amount for p in payments], np.int64)[order],
        tariff=join(np.where(prices.rule >= 0, prices.price, -1), [-1 for _ in payments], np.int64)[
            order
        ],
        rule=np.concatenate([prices.rule, cohort_rule])[order],
        labels=tuple(labels),
        person=join(person, [-1 for _ in payments], np.int64)[order],
        occurrence=join(chosen, [-1 for _ in payments], np.int64)[order],
        source=order,
        texts=texts,
        who=who,
        names=every_id,
        evidence_ids=evidence_ids,
    )


def on_quantities(
    spec: ContractSpec, position: np.ndarray, prices: Prices, units: np.ndarray
) -> np.ndarray:
    """The price of each occurrence, times its units for a per-unit metric and times its share
    for a scale (quantities.py), rounded half-up once."""
    price = prices.price.copy()
    decimals = {m.id: m.decimals for m in spec.measures}
    for index, metric in enumerate(spec.metrics):
        if metric.per_unit is None and metric.scale is None:
            continue
        rows = np.flatnonzero(position == index)
        measure = decimals[metric.measure or ""]
        numerator, denominator = share(metric, measure, units[rows])
        price[rows] = half_up_product(
            prices.micro[rows], numerator, denominator, spec.contract.exponent
        )
    return price


def _limits(spec: ContractSpec, people: int) -> CapLimits:
    exponent = spec.contract.exponent

    def minor(value: object) -> int | None:
        return None if value is None else to_minor(value, exponent)  # type: ignore[arg-type]

    every = every_metric(spec)
    return CapLimits(
        per_participant=minor(spec.caps.per_participant),
        metric_amount=tuple(minor(m.caps.amount) for m in every),
        metric_count=tuple(m.caps.count for m in every),
        contract=minor(spec.caps.contract),
        commitments=tuple(minor(p.commitment) for p in spec.payers),
        people=people,
    )


def _lines(
    spec: ContractSpec,
    payable: Payable,
    numerators: np.ndarray,
    outcome: CapOutcome,
    table: ShareTable,
    shares: np.ndarray,
    wanted: Wanted | None = None,
) -> pd.DataFrame:
    """One line per payable occurrence and payer with a non-zero share, zero amounts included
    (only those `wanted` selects, when given)."""
    occurrence, payer = np.nonzero(numerators > 0)
    metric_ids = np.array([m.id for m in every_metric(spec)], dtype=object)
    payer_ids = np.array(table.payers, dtype=object)
    if wanted is no_lines:
        occurrence, payer = occurrence[:0], payer[:0]
    elif wanted is not None:
        keep = np.asarray(wanted(_keys(payable, occurrence, payer, metric_ids, payer_ids)))
        occurrence, payer = occurrence[keep], payer[keep]
    paid = outcome.paid[occurrence, payer]
    cut = np.where(
        paid < outcome.parts[occurrence, payer], PAYER_COMMITMENT, outcome.cut[occurrence]
    )
    reason = _reasons(payable, table, shares[occurrence], payer, cut, occurrence)
    source = payable.source[occurrence]
    # what the caps took from this payer's part: its share of the uncut price minus what it is
    # paid (the posting keeps it, so a report says by how much without deciding again)
    uncut = split(payable.price[occurrence], numerators[occurrence], table.denominator)
    rows = np.arange(len(occurrence))
    cut_amount = uncut[rows, payer] - paid if len(occurrence) else np.zeros(0, np.int64)
    tariff = payable.tariff[occurrence]
    return pd.DataFrame(
        {
            "participant_id": text_column(payable.names[payable.who[source]]),
            "cohort": text_column(payable.texts["cohort"][source]),
            "provider": text_column(payable.texts["provider"][source]),
            "metric": text_column(metric_ids[payable.position[occurrence]]),
            "occurrence": payable.n[occurrence],
            "payer": text_column(payer_ids[payer]),
            "amount": paid.astype(np.int64),
            "price": payable.price[occurrence],
            "tariff": pd.arrays.IntegerArray(np.maximum(tariff, 0), tariff < 0),
            "achieved_on": payable.day[occurrence].astype("datetime64[D]"),
            "evidence_ids": text_column(payable.evidence_ids(source)),
            "cut_by": text_column(np.array(LINE_CUT_NAMES, dtype=object)[cut]),
            "cut_amount": cut_amount.astype(np.int64),
            "reason": text_column(reason),
        },
        columns=list(LINE_COLUMNS),
    )


def _keys(
    payable: Payable,
    occurrence: np.ndarray,
    payer: np.ndarray,
    metric_ids: np.ndarray,
    payer_ids: np.ndarray,
) -> pd.DataFrame:
    """Every line's key and date, text as categoricals: codes, not millions of strings."""

    def coded(codes: np.ndarray, names: np.ndarray) -> Any:
        if pd.Index(names).is_unique:
            return pd.Categorical.from_codes(codes, categories=names)
        return text_column(names[codes])  # a participant named like a cohort line

    return pd.DataFrame(
        {
            "participant_id": coded(payable.who[payable.source[occurrence]], payable.names),
            "metric": coded(payable.position[occurrence], metric_ids),
            "occurrence": payable.n[occurrence],
            "payer": coded(payer, payer_ids),
            "achieved_on": payable.day[occurrence].astype("datetime64[D]"),
        }
    )


def _reasons(
    payable: Payable,
    table: ShareTable,
    share: np.ndarray,
    payer: np.ndarray,
    cut: np.ndarray,
    occurrence: np.ndarray,
) -> np.ndarray:
    """The rule behind each line, written once per distinct (rule, shares, payer, cut)."""
    if len(occurrence) == 0:
        return np.zeros(0, dtype=object)
    codes, distinct = distinct_rows(payable.rule[occurrence], share, payer, cut)
    texts = []
    for rule, share_id, payer_index, cut_code in distinct.tolist():
        payer_id = table.payers[payer_index]
        percent = table.maps[share_id][payer_id]
        text = payable.labels[rule] if rule >= 0 else "no tariff in force"
        text += f"; share {payer_id} {percent}%"
        if cut_code:
            text += f"; cut by {LINE_CUT_NAMES[cut_code]}"
        texts.append(text)
    return np.asarray(np.array(texts, dtype=object)[codes])
