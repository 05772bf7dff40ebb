"""The direction of imports: every layer uses only the layers below it (docs/architecture.md).

Every module of the product is parsed (ast, so an import inside a function or under
TYPE_CHECKING counts as much as one at the top) and each import it makes is held to the rules
below. A pair that breaks a rule and is not in ALLOWED fails with the module, the line and the
rule; an ALLOWED pair that no longer occurs fails too, so the list only ever shrinks.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PRODUCT = ("contract_specs", "ledger", "reconciliation", "reporting", "synthetic", "api")
SCANNED = (*PRODUCT, "bench")

# The ledger's own layers, lowest first: each may import only itself and those before it.
LEDGER_LAYERS = ("ledger.domain", "ledger.storage", "ledger.intake", "ledger.services")

# Database and I/O libraries the pure domain never touches.
DATABASE = ("sqlalchemy", "sqlmodel", "alembic", "psycopg")


@dataclass(frozen=True)
class Rule:
    """Modules under `importer` never import a module under any of `forbidden`."""

    importer: str
    forbidden: tuple[str, ...]
    why: str


RULES = (
    Rule(
        "contract_specs",
        ("ledger", "reconciliation", "reporting", "synthetic", "api"),
        "the spec language is below everything that runs a contract",
    ),
    Rule("ledger.domain", DATABASE, "the domain is pure rules over plain data, no I/O"),
    Rule(
        "ledger",
        ("reconciliation", "reporting", "synthetic", "api"),
        "the ledger never calls up into the packages built on it; it takes callbacks or "
        "returns data instead",
    ),
    Rule(
        "reconciliation",
        ("reporting", "synthetic", "api"),
        "reconciliation is below the reports and the entry points",
    ),
    Rule(
        "reporting",
        ("synthetic", "api"),
        "reports are built below the entry points (reporting may read reconciliation's "
        "tables: it sits above reconciliation)",
    ),
    Rule("synthetic", ("reporting", "api"), "the generator makes uploads; it reads no report"),
    Rule(
        "api.controllers",
        ("api.cli",),
        "a controller and a CLI command share code from below both, never from each other",
    ),
    Rule("api.dashboard", ("api.cli",), "the dashboard shares code with the CLI from below both"),
    *(
        Rule(package, ("bench", "tests"), "the product never imports its benchmarks or tests")
        for package in PRODUCT
    ),
    # the ledger's own layers: none imports a layer above it
    *(
        Rule(
            layer,
            LEDGER_LAYERS[rank + 1 :],
            "each ledger layer uses only those below it (domain < storage < intake < services)",
        )
        for rank, layer in enumerate(LEDGER_LAYERS[:-1])
    ),
    # not a layer rule but a boundary: uploads is the import of a provider's files; postings
    # are the run's own record and are stored by their own code, not as a "file"
    Rule("ledger.services.postings", ("ledger.storage.uploads",), "postings are not an upload"),
)

# (importing module, imported module) pairs that break a rule today, each with who removes it.
# None left: keep it empty (the row checks of an upload moved to ledger.intake.row_checks).
ALLOWED: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class Import:
    """One import a module makes: the module it names and the line it is on."""

    importer: str
    imported: str
    line: int


def module_name(path: Path) -> str:
    """The dotted name of the module at `path` (relative to the repository's root)."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(module: str, source: str, is_package: bool = False) -> Iterator[Import]:
    """Every import in `source`, wherever it is (module level, function, class, if-block),
    with relative imports resolved against `module`."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                keep = len(base) - node.level + (1 if is_package else 0)
                prefix = ".".join(base[:keep])
                target = f"{prefix}.{node.module}" if node.module else prefix
            else:
                target = node.module or ""
            yield Import(module, target, node.lineno)
            # `from ledger import storage` imports ledger.storage: name each imported name too
            for alias in node.names:
                yield Import(module, f"{target}.{alias.name}", node.lineno)


def under(module: str, package: str) -> bool:
    """Whether `module` is `package` or inside it."""
    return module == package or module.startswith(package + ".")


def broken(found: Import) -> Rule | None:
    """The first rule `found` breaks (None when it keeps to all of them)."""
    for rule in RULES:
        if under(found.importer, rule.importer) and any(
            under(found.imported, forbidden) for forbidden in rule.forbidden
        ):
            return rule
    return None


def product_imports() -> list[Import]:
    """Every import of every module of the product and the benchmarks."""
    found: list[Import] = []
    for package in SCANNED:
        for path in sorted((ROOT / package).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            found.extend(imports_of(module_name(path), source, path.name == "__init__.py"))
    return found


def violations(found: list[Import]) -> list[tuple[Import, Rule]]:
    """The imports that break a rule, each with the rule."""
    return [(item, rule) for item in found if (rule := broken(item)) is not None]


def excused_by(item: Import, pair: tuple[str, str]) -> bool:
    """Whether the ALLOWED `pair` (importer, imported module) covers `item`."""
    return item.importer == pair[0] and under(item.imported, pair[1])


def allowed(item: Import) -> bool:
    """Whether `item` is one of the ALLOWED exceptions."""
    return any(excused_by(item, pair) for pair in ALLOWED)


def test_every_import_points_down() -> None:
    bad = sorted(
        {
            f"{item.importer} (line {item.line}) imports {item.imported}: {rule.why}"
            for item, rule in violations(product_imports())
            if not allowed(item)
        }
    )
    assert bad == []


def test_every_allowed_exception_still_exists() -> None:
    found = [item for item, _ in violations(product_imports())]
    stale = sorted(
        (a, b)
        for a, b in ALLOWED
        if not any(i.importer == a and under(i.imported, b) for i in found)
    )
    assert stale == [], "these imports are gone: delete them from ALLOWED in tests/test_layers.py"


def test_the_scan_reads_every_layer() -> None:
    # a scan that found nothing would pass the rules vacuously
    importers = {item.importer for item in product_imports()}
    for package in (*LEDGER_LAYERS, "reconciliation", "reporting", "synthetic", "api.cli"):
        assert any(under(name, package) for name in importers), package


@pytest.mark.parametrize(
    ("module", "source", "caught"),
    [
        ("ledger.domain.x", "from ledger.storage.db import reading\n", True),
        ("ledger.domain.x", "import sqlalchemy.orm\n", True),
        ("ledger.domain.x", "def f():\n    from sqlmodel import Session\n", True),
        (
            "ledger.intake.x",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from ledger.services import ids\n",
            True,
        ),
        ("ledger.storage.x", "from ledger import services\n", True),
        ("ledger.services.x", "from ..storage import db\n", False),
        ("ledger.services.x", "from reconciliation.periods import Period\n", True),
        ("reconciliation.x", "import reporting.report\n", True),
        ("reporting.x", "from reconciliation.tables import ReconcileRun\n", False),
        ("api.controllers.x", "from api.cli.report_cmds import write_report\n", True),
        ("api.cli.x", "from api.controllers import reports\n", False),
        ("api.x", "from bench.harness import run\n", True),
        ("bench.x", "from synthetic.generate import generate\n", False),
        ("ledger.services.x", "from ledger.domain.periods import Period\n", False),
    ],
)
def test_the_rules_catch_an_import_that_points_up(module: str, source: str, caught: bool) -> None:
    assert bool(violations(list(imports_of(module, source)))) is caught
