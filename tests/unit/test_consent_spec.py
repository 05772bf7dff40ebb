"""The consents a spec declares: read into the model, each checked where it is written."""

from __future__ import annotations

from pathlib import Path

from contract_specs.loader import check_spec_text, load_spec
from contract_specs.model import ConsentUse

EXAMPLE = Path(__file__).parents[2] / "contract_specs" / "examples" / "rules-boundaries.yaml"


def _with_consents(block: str) -> str:
    text = EXAMPLE.read_text()
    head, tail = text.split("consents:\n", 1)
    tail = tail[tail.index("\ncohorts:") :]
    return head + block + tail


def _errors(text: str) -> list[tuple[str, str]]:
    return [(f.path, f.message) for f in check_spec_text(text, "spec.yaml").errors]


def test_the_example_declares_what_each_consent_allows() -> None:
    spec = load_spec(EXAMPLE)
    by_name = {c.name: c for c in spec.consents}
    assert by_name["payment_by_results"].required is True
    assert by_name["payment_by_results"].allows == (ConsentUse.OUTCOME_PAYMENTS,)
    assert by_name["what_works_for_whom"].required is False
    assert spec.consents_allowing(ConsentUse.SEGMENT_ANALYSIS) == (by_name["what_works_for_whom"],)


def test_a_consent_to_be_paid_for_must_be_required() -> None:
    text = _with_consents("consents:\n  paid: {allows: [outcome_payments], required: false}\n")
    assert [p for p, _ in _errors(text)] == ["$.consents.paid.required"]


def test_a_consent_may_not_take_a_column_name_or_allow_something_unknown() -> None:
    text = _with_consents(
        "consents:\n"
        "  start_date: {allows: [segment_analysis]}\n"
        "  date_of_birth: {allows: [segment_analysis]}\n"
        "  withdrawn_on: {allows: [segment_analysis]}\n"
        "  odd: {allows: [selling_data]}\n"
    )
    paths = [p for p, _ in _errors(text)]
    assert "$.consents.start_date" in paths
    assert "$.consents.date_of_birth" in paths
    assert "$.consents.withdrawn_on" in paths
    assert any(p.startswith("$.consents.odd.allows") for p in paths)


def test_declaring_consents_in_another_order_is_the_same_spec() -> None:
    text = EXAMPLE.read_text()
    a, b = "  payment_by_results:", "  what_works_for_whom:"
    head, rest = text.split(a, 1)
    first, rest = rest.split(b, 1)
    second, tail = rest.split("\ncohorts:", 1)
    swapped = head + b + second.rstrip("\n") + "\n" + a + first.rstrip("\n") + "\n\ncohorts:" + tail
    one = check_spec_text(text, "a.yaml").spec
    two = check_spec_text(swapped, "b.yaml").spec
    assert one is not None and two is not None
    assert one.content_hash == two.content_hash
