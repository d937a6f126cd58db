"""Rule metadata without importing the rules (issue 22): the registry knows the built-in
rules from a table (`registry._BUILTIN`) and hands out stand-ins that import a rule's module
only when the rule is created, which the engine does after a file passes the evidence gate.
So `--list-rules`, `--explain`, `--help`, `--version` and a run over files without SQLAlchemy
never load libcst (a fifth of a second). The plugins' entry points are read from the
`*.dist-info` directories without importlib.metadata (and the email parser it loads)."""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from session_lint import registry
from session_lint.registry import load_rules, real_rule
from session_lint.rules import BUILTIN_RULES

_METADATA = ("code", "name", "summary", "tokens", "requires", "opt_in", "url", "__module__", "__qualname__")


@pytest.mark.parametrize("rule", BUILTIN_RULES, ids=lambda rule: rule.code)
def test_the_table_says_what_each_rule_class_says(rule: type) -> None:
    stand_in = registry._BY_CODE.get(rule.code)
    assert stand_in is not None, f"{rule.code} is missing from registry._BUILTIN"
    differences = {name: (getattr(stand_in, name), getattr(rule, name)) for name in _METADATA
                   if getattr(stand_in, name) != getattr(rule, name)}
    assert differences == {}, f"registry._BUILTIN disagrees with {rule.__qualname__}: update it"
    assert real_rule(stand_in) is rule


def test_the_table_has_no_rule_that_is_not_built_in() -> None:
    assert sorted(registry._BY_CODE) == sorted(rule.code for rule in BUILTIN_RULES)


def test_the_registry_hands_out_the_built_in_rules() -> None:
    ruleset = load_rules()
    assert ruleset.errors == []
    for rule in BUILTIN_RULES:
        assert real_rule(ruleset.rules[rule.code]) is rule


def test_creating_a_stand_in_creates_the_rule() -> None:
    stand_in = registry._BY_CODE["ORM101"]
    created = stand_in()
    assert type(created) is real_rule(stand_in)
    assert created.code == "ORM101"


def test_a_stand_in_travels_by_pickle_as_itself() -> None:
    stand_ins = list(registry.BUILTIN_RULES)
    assert pickle.loads(pickle.dumps(stand_ins)) == stand_ins


def test_a_plugin_that_re_exports_a_built_in_rule_is_no_duplicate() -> None:
    ruleset = registry.RuleSet()
    ruleset.add(registry._BY_CODE["ORM101"], "session-lint 0.1.0")
    ruleset.add(real_rule(registry._BY_CODE["ORM101"]), "some-plugin 1.0")
    assert ruleset.errors == []


# -- what each command loads -----------------------------------------------------------------------
_PLAIN = "import os\n\n\ndef join(*parts):\n    return os.sep.join(parts)\n"
_ORM = ("from sqlalchemy.orm import Session\n\n\ndef create(engine, user):\n"
        "    with Session(engine) as session:\n        session.add(user)\n")


def _run(arguments: List[str], cwd: Path) -> "tuple[int, str, List[str]]":
    """(exit code, stdout, the modules of interest loaded) of `session-lint ARGUMENTS`."""
    probe = ("import sys\nfrom session_lint.cli import main\n"
             "try:\n    main(sys.argv[1:])\nexcept SystemExit as exit_:\n    code = exit_.code\n"
             "loaded = [m for m in sys.modules if m in ('libcst', 'importlib.metadata')\n"
             "          or m.startswith('session_lint.rules.')]\n"
             "print('\\nloaded:', code, *loaded)\n")
    completed = subprocess.run([sys.executable, "-c", probe, *arguments], capture_output=True, text=True,
                               timeout=120, cwd=cwd, env={**os.environ, "NO_COLOR": "1"})
    output, _, loaded = completed.stdout.rpartition("\nloaded:")
    code, *modules = loaded.split()
    return int(code), output, modules


@pytest.mark.parametrize("arguments, printed", [
    (["--version"], "session-lint, version"),
    (["--help"], "Usage:"),
    (["--list-rules"], "ORM101  add-without-commit"),
    (["--explain", "ORM101"], "# ORM101"),
    (["--no-cache", "plain.py"], "All checks passed."),
    (["--statistics", "--no-cache", "plain.py"], ""),  # nothing found, nothing to count
])
def test_commands_that_need_no_parse_load_no_rule_module(arguments: List[str], printed: str, tmp_path: Path) -> None:
    (tmp_path / "plain.py").write_text(_PLAIN)
    code, output, loaded = _run(arguments, tmp_path)
    assert code == 0, output
    assert printed in output if printed else output == "", output
    assert loaded == []


def test_a_file_with_sqlalchemy_still_gets_every_rule(tmp_path: Path) -> None:
    (tmp_path / "orm.py").write_text(_ORM)
    code, output, loaded = _run(["--no-cache", "orm.py"], tmp_path)
    assert code == 1 and "ORM101" in output, output
    assert "libcst" in loaded and "session_lint.rules.orm101_add_without_commit" in loaded


# -- entry points without importlib.metadata --------------------------------------------------------
def _distribution(directory: Path, name: str, version: str, entry_points: str, info: str = "dist-info") -> None:
    where = directory / f"{name.replace('-', '_')}-{version}.{info}"
    where.mkdir(parents=True)
    (where / ("METADATA" if info == "dist-info" else "PKG-INFO")).write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nName: not a header\n")
    if entry_points:
        (where / "entry_points.txt").write_text(entry_points)


def test_entry_points_are_read_as_importlib_metadata_reads_them(tmp_path: Path, monkeypatch) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    _distribution(first, "my-plugin", "1.2", "[console_scripts]\nx = y:z\n\n[session_lint.rules]\n"
                  "# a comment\nrules = my_plugin.rules:RULES\nmore=my_plugin.more:Rule [extra]\n")
    _distribution(first, "old-style", "3.0", "[session_lint.rules]\nold = old_style.rules:R\n", "egg-info")
    _distribution(first, "no-plugin", "1.0", "")
    _distribution(second, "my-plugin", "0.9", "[session_lint.rules]\nrules = my_plugin.old:RULES\n")  # shadowed
    monkeypatch.setattr(registry, "_installed_path", lambda: [str(first), str(second)])
    from importlib.metadata import distributions

    expected, seen = [], set()
    for distribution in distributions(path=[str(first), str(second)]):
        name = distribution.metadata["Name"]
        if name in seen:
            continue
        seen.add(name)
        expected += [(ep.name, ep.value, f"{name} {distribution.version}")
                     for ep in distribution.entry_points if ep.group == registry.ENTRY_POINT_GROUP]
    found = [(ep.name, ep.value, origin) for ep, origin in registry._entry_points()]
    assert sorted(found) == sorted(expected)
    assert ("rules", "my_plugin.rules:RULES", "my-plugin 1.2") in found


def test_an_entry_point_loads_its_attribute(tmp_path: Path, monkeypatch) -> None:
    _distribution(tmp_path, "dotted", "1.0", "[session_lint.rules]\nr = os.path:sep\n")
    monkeypatch.setattr(registry, "_installed_path", lambda: [str(tmp_path)])
    (entry_point, origin), = registry._entry_points()
    assert entry_point.load() == os.path.sep and origin == "dotted 1.0"
