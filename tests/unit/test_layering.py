"""The arrows only point down: a package never imports the doors, and the domains never import the read-side
views built over them (oversight may read projects, not the reverse). Read from the source, no app."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOORS = {"bot", "api", "admin"}
READ_SIDE = {"oversight", "privacy", "stories", "ops"}
DOMAINS = ["core", "votes", "surveys", "wishes", "projects", "notices", "publicity", "lifts", "contributions"]


def imported_packages(package):
    """(module file, top-level package) for every import in the package, at any depth in a function."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((path.relative_to(ROOT).as_posix(), node.module.split(".")[0]))
            elif isinstance(node, ast.Import):
                found += [(path.relative_to(ROOT).as_posix(), alias.name.split(".")[0]) for alias in node.names]
    return found


@pytest.mark.parametrize("package", DOMAINS)
def test_domain_packages_never_import_the_doors_or_the_read_side(package):
    wrong = [(where, what) for where, what in imported_packages(package) if what in DOORS | READ_SIDE]
    assert wrong == []


def test_oversight_reads_projects_and_surveys():
    read = {what for _where, what in imported_packages("oversight")}
    assert {"projects", "surveys"} <= read
