"""JSON rows become the csv file the import services read: every value stays in its own cell,
whatever characters it holds (a carriage return inside a value once ended the row there)."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from api.controllers.writes import rows_csv

values = st.text(alphabet=st.sampled_from(["a", " ", ",", '"', "\r", "\n", "=", "é"]), max_size=8)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(values, values), min_size=1, max_size=5))
def test_each_json_value_is_one_csv_cell(pairs: list[tuple[str, str]]) -> None:
    rows = [{"reference": a, "reason": b} for a, b in pairs]
    text = rows_csv(rows).decode("utf-8")
    read = list(csv.reader(io.StringIO(text, newline="")))
    assert read == [["reference", "reason"], *([a.strip(), b.strip()] for a, b in pairs)]
