"""Simplified Chinese is complete: every message has a translation."""
from pathlib import Path

from babel.messages.pofile import read_po

LOCALE = Path(__file__).resolve().parents[2] / "locale"
# Every package of the service (a folder with __init__.py), so that a new one is checked without being listed.
PACKAGES = sorted(p.parent.name for p in LOCALE.parent.glob("*/__init__.py") if p.parent.name not in ("tests", "bench"))


def test_the_packages_checked_are_the_services():
    assert {"core", "api", "admin", "bot", "surveys", "votes", "stories", "simulator"} <= set(PACKAGES)


def test_every_message_in_the_code_has_a_chinese_translation():
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg
    with open(LOCALE / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalog = read_po(handle)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    with open(LOCALE.parent / "babel.cfg", encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found = set()
    for folder in PACKAGES:
        for _name, _line, message, _comments, _context in extract_from_dir(
                LOCALE.parent / folder, method_map, options_map, keywords={"_": None, "_l": None, "gettext": None}):
            found.add(message)
    assert len(found) > 100
    assert sorted(found - translated) == []


def _message_keys(tree):
    """Message keys passed to domain exceptions, CellError, pending_row(), translate() or as {"key": ...}."""
    import ast
    raisers = {"RuleViolation", "Conflict", "NotFound", "Forbidden", "Unauthorised", "translate", "_respond"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            args = (node.args[2:3] if name in ("CellError", "pending_row")
                    else node.args[1:2] if name == "Fault"
                    else node.args[:1] if name in raisers else [])
            for arg in args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    yield arg.value
        if isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values):
                if isinstance(k, ast.Constant) and k.value == "key" and isinstance(v, ast.Constant):
                    yield v.value


def test_every_message_key_used_by_rules_has_text():
    import ast
    from core.i18n import MESSAGES
    used = set()
    for folder in PACKAGES:
        for path in (LOCALE.parent / folder).rglob("*.py"):
            used.update(_message_keys(ast.parse(path.read_text(encoding="utf-8"))))
    assert len(used) > 20
    assert used - set(MESSAGES) == set()

