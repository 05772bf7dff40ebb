"""`python -m bench --size 10k [--size 100k --size 1m] [--out bench/results/latest.json]`.

For each size: generate the data (setup, not a step), then measure every step in a process of
its own (wall seconds and peak memory), beside its floor where it has one; print one table and,
with --out, write the results as JSON with the machine they ran on. No time is asserted here:
the table says which targets (set for a million participants) were met.

Any of the generator's options (--spec, --drop, --extra-providers) asks for the data generator
alone instead: one row per size of what was generated and how long it took.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from bench import generated_table
from bench.harness import Options, SizeResult, run_size
from bench.results import growth, table, write_json
from synthetic.generate import parse_size


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run each size, print the table; 0 on success, 2 on bad input."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--size", action="append", help="10k, 100k, 1m or a number (repeatable)")
    parser.add_argument("--out", type=Path, help="write the results as JSON to this file")
    parser.add_argument("--keep", type=Path, help="keep the data and databases in this folder")
    parser.add_argument("--seed", type=int, default=Options.seed)
    parser.add_argument("--providers", type=int, default=Options.providers)
    parser.add_argument("--clients", type=int, default=Options.clients)
    parser.add_argument("--requests", type=int, default=Options.requests, help="request budget")
    parser.add_argument("--seconds", type=float, default=Options.seconds, help="load time limit")
    generated_table.add_options(parser)
    values = parser.parse_args(argv)
    try:
        sizes = [parse_size(s) for s in values.size or ["10k"]]
    except ValueError as error:
        parser.error(str(error))
    if generated_table.wanted(values):
        return generated_table.print_generated(parser, values, sizes)
    if values.providers < 1 or values.clients < 1 or values.requests < 1:
        parser.error("--providers, --clients and --requests must be at least 1")
    options = Options(
        values.seed, values.providers, values.clients, values.requests, values.seconds
    )
    results: list[SizeResult] = []
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="outcomes-bench-") as temporary:
            folder = values.keep / str(size) if values.keep else Path(temporary)
            results.append(run_size(size, folder, options, log=_progress))
            print(table(results), flush=True)
        if values.out:
            write_json(results, values.out)
    if len(results) > 1:
        print(growth(results), flush=True)
    return 0


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
