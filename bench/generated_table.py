"""The data generator on its own: what `python -m bench` printed before the benchmarks
existed, still there for the generator's options (--spec, --drop, --extra-providers): generate
each size, write the csv files, and print what was generated and how long it took."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from synthetic.funnel import PlantDrop
from synthetic.generate import generate, write_csv

DEFAULT_SPEC = Path(__file__).resolve().parent.parent / (
    "contract_specs/examples/fair-chance-fund-ambition.yaml"
)


def add_options(parser: argparse.ArgumentParser) -> None:
    """The generator's own options (any of them asks for the generated table only)."""
    group = parser.add_argument_group("generate only (no benchmark steps)")
    group.add_argument("--spec", type=Path, help="contract spec file (default: Fair Chance Fund)")
    group.add_argument("--extra-providers", type=int, help="made-up providers")
    group.add_argument(
        "--drop",
        metavar="PROVIDER:METRIC:QUARTER:PERCENT",
        help="plant a drop, e.g. ambition:accommodation_sustained_3m:2016-Q2:30",
    )


def wanted(values: argparse.Namespace) -> bool:
    """Whether the command line asked for the generator only."""
    return any(v is not None for v in (values.spec, values.extra_providers, values.drop))


def print_generated(
    parser: argparse.ArgumentParser, values: argparse.Namespace, sizes: list[int]
) -> int:
    """Generate each size and print one row per size; 0, or exit 2 on a drop that does not fit."""
    spec = values.spec or DEFAULT_SPEC
    try:
        drop = _drop(values.drop) if values.drop else None
    except ValueError as error:
        parser.error(str(error))
    print(f"spec {spec.name}, seed {values.seed}")
    print(
        f"{'participants':>12} {'evidence':>10} {'decisions':>10} {'revoked':>8} "
        f"{'generate s':>10} {'write s':>8} {'MB':>8}"
    )
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="outcomes-bench-") as temporary:
            folder = values.keep / str(size) if values.keep else Path(temporary)
            began = time.perf_counter()
            try:
                data = generate(
                    spec,
                    size,
                    values.seed,
                    None,
                    drop,
                    extra_providers=values.extra_providers or 0,
                )
            except ValueError as error:  # a drop that does not fit the spec
                parser.error(str(error))
            generated = time.perf_counter()
            paths = write_csv(data, folder)
            written = time.perf_counter()
            megabytes = sum(p.stat().st_size for p in paths.values()) / 1e6
            print(
                f"{len(data.participants):>12,} {len(data.evidence):>10,} "
                f"{len(data.decisions):>10,} {len(data.revocations):>8,} "
                f"{generated - began:>10.2f} {written - generated:>8.2f} {megabytes:>8.1f}"
            )
    return 0


def _drop(text: str) -> PlantDrop:
    parts = text.split(":")
    if len(parts) != 4:
        raise ValueError(f"--drop {text!r}: write PROVIDER:METRIC:QUARTER:PERCENT")
    provider, metric, quarter, percent = parts
    return PlantDrop(provider, metric, quarter, float(percent))
