"""`python -m bench --size 10k [--size 1m ...]`: generate the data into a temporary folder and
print one table of what was generated and how long it took (the real benchmarks come later)."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.funnel import PlantDrop
from bench.generate import generate, parse_size, write_csv

DEFAULT_SPEC = Path(__file__).resolve().parent.parent / (
    "contract_specs/examples/fair-chance-fund-ambition.yaml"
)


def main(argv: list[str] | None = None) -> int:
    """Parse the options, generate each size, print the table; 0 on success, 2 on bad input."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--size", action="append", help="10k, 100k, 1m or a number (repeatable)")
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC, help="contract spec file")
    parser.add_argument("--seed", type=int, default=20151)
    parser.add_argument("--extra-providers", type=int, default=0, help="made-up providers")
    parser.add_argument(
        "--drop",
        metavar="PROVIDER:METRIC:QUARTER:PERCENT",
        help="plant a drop, e.g. ambition:accommodation_sustained_3m:2016-Q2:30",
    )
    parser.add_argument("--out", type=Path, help="keep the files in this folder")
    options = parser.parse_args(argv)
    try:
        sizes = [parse_size(s) for s in options.size or ["10k"]]
        drop = _drop(options.drop) if options.drop else None
    except ValueError as error:
        parser.error(str(error))
    header = (
        f"{'participants':>12} {'evidence':>10} {'decisions':>10} {'revoked':>8} "
        f"{'generate s':>10} {'write s':>8} {'MB':>8}"
    )
    print(f"spec {options.spec.name}, seed {options.seed}")
    print(header)
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="outcomes-bench-") as temporary:
            folder = options.out / str(size) if options.out else Path(temporary)
            began = time.perf_counter()
            try:
                data = generate(
                    options.spec,
                    size,
                    options.seed,
                    None,
                    drop,
                    extra_providers=options.extra_providers,
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
                f"{generated - began:>10.2f} "
                f"{written - generated:>8.2f} {megabytes:>8.1f}"
            )
    return 0


def _drop(text: str) -> PlantDrop:
    parts = text.split(":")
    if len(parts) != 4:
        raise ValueError(f"--drop {text!r}: write PROVIDER:METRIC:QUARTER:PERCENT")
    provider, metric, quarter, percent = parts
    return PlantDrop(provider, metric, quarter, float(percent))


if __name__ == "__main__":
    raise SystemExit(main())
