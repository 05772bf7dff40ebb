"""The benchmark's contract: the Fair Chance Fund rate card run as a national programme.

NOT A REAL CONTRACT. The Fair Chance Fund example caps the contract at 1.5m, which binds after a
few thousand participants: at a million almost every line would be cut to nothing and the
benchmark would measure an empty ledger. This variant keeps the example's rate card, cohorts,
prerequisites, per-person cap and dated payer shares, and changes only what does not scale:
the contract cap and the payers' commitments are raised far beyond anything a million
participants can earn, the worked examples are left out (they assert the real caps), and more
providers are declared (a national programme has many; each reads its own progress).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from contract_specs.loader import load_spec
from synthetic.people import spec_providers

FCF_SPEC = Path(__file__).resolve().parent.parent / (
    "contract_specs/examples/fair-chance-fund-ambition.yaml"
)
CONTRACT_ID = "fcf-national-bench"
# 15,000 per person times ten million people: no run of the benchmark can reach it
UNREACHABLE = "150000000000.00"


def write_bench_spec(folder: Path, providers: int) -> Path:
    """Write the benchmark spec (with `providers` providers in all) into `folder`."""
    document: dict[str, Any] = yaml.safe_load(FCF_SPEC.read_text(encoding="utf-8"))
    document["contract"]["id"] = CONTRACT_ID
    document["contract"]["name"] = "BENCHMARK ONLY: Fair Chance Fund rate card, national scale"
    document.pop("examples", None)
    document["caps"]["contract"] = UNREACHABLE
    for payer in document["payers"]:
        payer["commitment"] = UNREACHABLE
    spec = load_spec(FCF_SPEC)
    declared = {p["id"] for p in document["parties"]}
    for provider in spec_providers(spec, providers - 1):
        if provider not in declared:
            name = f"Benchmark provider {provider}"
            document["parties"].append({"id": provider, "role": "provider", "name": name})
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "fcf-national-bench.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path
