"""Semantic checks on payments on a quantity: a metric reached from a measure is reached one way
(a threshold, a price per unit or a per-person scale), from a declared measure, with quantities
that fit it; a scale runs from low to high; the limits of such a metric are its own."""

from __future__ import annotations

from collections.abc import Iterator

from contract_specs.checks_amounts import too_many_places
from contract_specs.checks_refs import ref
from contract_specs.docwalk import Doc, Names, as_decimal, entries, mapping
from contract_specs.findings import Finding, error, jpath

KINDS = ("threshold", "per_unit", "scale")


def check_quantities(doc: Doc, names: Names) -> Iterator[Finding]:
    """Every per_unit and scale rule, and the metric around it."""
    for i, metric in entries(doc.get("metrics")):
        given = [kind for kind in KINDS if kind in metric]
        if len(given) > 1:
            yield error(
                jpath("metrics", i),
                f"the metric is reached from a measure in {len(given)} ways ({', '.join(given)}): "
                "give one of threshold, per_unit and scale; make the others metrics of their own",
            )
        for kind, keys in (("per_unit", ("max_units",)), ("scale", ("lower", "upper"))):
            if kind not in metric:
                continue
            rule = mapping(metric.get(kind))
            measure = rule.get("measure")
            yield from ref(jpath("metrics", i, kind, "measure"), measure, "measure", names)
            if isinstance(measure, str) and measure in names.measures:
                for key in keys:
                    yield from too_many_places(
                        jpath("metrics", i, kind, key),
                        rule.get(key),
                        names.measures[measure],
                        f"the measure `{measure}`",
                    )
            if "max_per_participant" in metric:
                yield error(
                    jpath("metrics", i, "max_per_participant"),
                    "a per-unit metric pays every day's units (limit them with `max_units`)"
                    if kind == "per_unit"
                    else "a scale pays once per participant, on the latest measurement",
                )
        scale = mapping(metric.get("scale"))
        lower, upper = as_decimal(scale.get("lower")), as_decimal(scale.get("upper"))
        if lower is not None and upper is not None and lower >= upper:
            yield error(
                jpath("metrics", i, "scale"),
                f"lower {lower} is not below upper {upper}: the scale pays 0% at lower and 100% "
                "at upper, so lower must be smaller",
            )
