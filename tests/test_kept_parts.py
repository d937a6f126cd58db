"""The kept project index in parts (issue 18: one file in a large project, warm cache):
`project/kept_parts.py` unpickles each module's facts, the summaries' large tables and each
function summary only when a run first reads them. A lazily loaded index must answer exactly
as the index that was kept, also once renumbered after an edit that moves lines, also when
kept again before its parts were read."""
from __future__ import annotations

import copy
import dataclasses
import json
import os
import pickle
import random
import shutil
from pathlib import Path, PurePosixPath
from typing import List, Optional

import pytest

from session_lint import runner
from session_lint.cache import _INDEX, ResultCache
from session_lint.project import kept_pickle
from session_lint.project.kept_parts import LazyPartDict, PartDict
from session_lint.project.summaries import ProjectSummaries, Summary, _KeptSummaries, _Summaries
from session_lint.project_index import ProjectIndex, decode_scan, encode_scan, moved_lines, scan_source
from session_lint.rules import BUILTIN_RULES
from session_lint.settings import Settings

from .test_line_moves import PROJECT, REPOSITORY, _index, _insert_lines, _state


def _lazy(content: dict) -> dict:
    """`content` as a kept index gives it back: a `LazyPartDict` not yet read."""
    loaded = kept_pickle.loads(kept_pickle.dumps({"part": PartDict(content)}))
    assert type(loaded["part"]) is LazyPartDict  # type: ignore[index]
    return loaded["part"]  # type: ignore[index]


def _updated(target: dict, other: dict) -> dict:
    target.update(other)
    return target


CONTENT = {"imports": {"db": ["app", "db", 0]}, "functions": {"f": {"line": 3}}, "jobs": []}


@pytest.mark.parametrize("read", [
    lambda d: d["imports"], lambda d: "jobs" in d, lambda d: list(d), lambda d: len(d), lambda d: d.get("jobs"),
    lambda d: sorted(d.items()), lambda d: list(d.values()), lambda d: list(d.keys()), lambda d: repr(d),
    lambda d: d == CONTENT, lambda d: CONTENT == d, lambda d: d != CONTENT, lambda d: dict(d), lambda d: {**d},
    lambda d: _updated({}, d), lambda d: d.copy(), lambda d: d | {}, lambda d: list(reversed(d)), lambda d: bool(d),
    lambda d: copy.copy(d), lambda d: copy.deepcopy(d), lambda d: pickle.loads(pickle.dumps(d)),
    lambda d: json.dumps(dict(d)),
])
def test_a_part_reads_as_the_dict_it_was(read) -> None:
    assert read(_lazy(CONTENT)) == read(dict(CONTENT))


@pytest.mark.parametrize("change", [
    lambda d: d.__setitem__("x", 1), lambda d: d.pop("jobs"), lambda d: d.setdefault("x", []),
    lambda d: d.update(x=2), lambda d: d.__delitem__("jobs"), lambda d: d.popitem(), lambda d: d.__ior__({"y": 3}),
])
def test_a_part_changes_as_the_dict_it_was(change) -> None:
    lazy, plain = _lazy(CONTENT), dict(CONTENT)
    answer, expected = change(lazy), change(plain)
    assert (answer is lazy) == (expected is plain)  # `d |= x` answers the dict itself
    assert answer is lazy or answer == expected
    assert dict(lazy) == plain and type(lazy) is PartDict  # read once, then a plain dict subclass


def test_two_parts_compare_by_content() -> None:
    first, second = _lazy(CONTENT), _lazy(CONTENT)
    assert first == second and type(first) is type(second) is PartDict
    assert _lazy(CONTENT) != _lazy({"other": 1})


def test_another_pickler_gets_a_plain_dict() -> None:
    # A worker's job pickled for a process that is not forked: the content, as a dict.
    copied = pickle.loads(pickle.dumps([_lazy(CONTENT)]))[0]
    assert type(copied) is dict and copied == CONTENT


def test_a_part_not_read_is_kept_again_as_it_came() -> None:
    lazy = _lazy(CONTENT)
    part = lazy._part
    again = kept_pickle.loads(kept_pickle.dumps([lazy]))[0]  # type: ignore[index]
    assert lazy._part is part and type(lazy) is LazyPartDict  # not read to be kept
    assert again._part == part and again == CONTENT


def test_paths_come_back_equal() -> None:
    paths = [Path("/srv/app/models.py"), Path("/"), Path("relative/x.py"), PurePosixPath("/a/b"), Path("/x y/é.py")]
    loaded = kept_pickle.loads(kept_pickle.dumps(paths))
    assert loaded == paths
    assert [type(path) for path in loaded] == [type(path) for path in paths]  # type: ignore[union-attr]
    assert [hash(path) for path in loaded] == [hash(path) for path in paths]  # type: ignore[union-attr]
    assert [path.parts for path in loaded] == [path.parts for path in paths]  # type: ignore[union-attr]
    assert [path.parent for path in loaded] == [path.parent for path in paths]  # type: ignore[union-attr]


def _summary(path: str = "/app/views.py", qualname: str = "index") -> Summary:
    summary = Summary((path, qualname), 12, ("session",), entry="view", raises_db=True)
    summary.commits.add("p:session")
    summary.work_lines["ambient"] = [14]
    return summary


# Module by module, as `ProjectSummaries` makes them (`_add_modules`, `_in_order`).
KEYS = [("/app/views.py", "index"), ("/app/views.py", "Form.save"), ("/app/views.py", "show"),
        ("/app/models.py", "create"), ("/app/jobs.py", "run")]


def _table() -> _Summaries:
    owner = ProjectSummaries.__new__(ProjectSummaries)
    owner._outside_summaries = {}  # type: ignore[attr-defined]
    owner.outside = None  # type: ignore[attr-defined]
    table = _Summaries(owner, {key: _summary(*key) for key in KEYS})
    owner.summaries = table  # type: ignore[attr-defined]
    return table


def _kept(table: _Summaries) -> _Summaries:
    return kept_pickle.loads(kept_pickle.dumps(table.owner)).summaries  # type: ignore[attr-defined,union-attr]


def test_summaries_come_back_one_part_per_module() -> None:
    loaded = _kept(_table())
    assert type(loaded) is _KeptSummaries and dict.__len__(loaded) == 0
    modules = loaded.__dict__["_modules"]
    assert sorted(modules) == ["/app/jobs.py", "/app/models.py", "/app/views.py"]
    assert all(type(module) is LazyPartDict for module in modules.values())
    assert loaded.get(("/app/models.py", "create")) == _summary("/app/models.py", "create")
    assert loaded[("/app/jobs.py", "run")].entry == "view"
    # Asking by key read those two modules' parts only.
    assert type(modules["/app/views.py"]) is LazyPartDict and type(loaded) is _KeptSummaries
    assert ("/app/views.py", "show") in loaded and ("/app/views.py", "gone") not in loaded
    assert loaded.get(("/elsewhere.py", "f")) is None and type(loaded) is _KeptSummaries


@pytest.mark.parametrize("read", [
    lambda d: list(d), lambda d: len(d), lambda d: list(d.items()), lambda d: list(d.values()), lambda d: list(d.keys()),
    lambda d: dict(d), lambda d: {**d}, lambda d: bool(d), lambda d: d == _table(), lambda d: d.copy(),
    lambda d: list(reversed(d)), lambda d: dict(pickle.loads(pickle.dumps(d))), lambda d: dict(copy.copy(d)),
])
def test_kept_summaries_read_whole_as_the_table_they_were(read) -> None:
    # In the order they were kept (the rounds visit summaries in the order of the modules).
    assert read(_kept(_table())) == read(_table())


def test_kept_summaries_changed_here_are_kept_again_with_the_change() -> None:
    loaded = _kept(_table())
    changed = dataclasses.replace(_summary(), line=40)
    loaded[KEYS[0]] = changed
    loaded[("/app/new.py", "f")] = _summary("/app/new.py", "f")
    assert loaded[KEYS[0]].line == 40 and type(loaded) is _KeptSummaries
    again = _kept(loaded)
    assert type(again.__dict__["_modules"]["/app/jobs.py"]) is LazyPartDict
    expected = dict(_table())
    expected[KEYS[0]] = changed
    expected[("/app/new.py", "f")] = _summary("/app/new.py", "f")
    assert dict(again) == expected and list(again) == list(expected)


def test_a_renumbered_copy_shares_the_parts_not_the_changes() -> None:
    loaded = _kept(_table())
    other = ProjectSummaries.__new__(ProjectSummaries)
    copied = loaded.for_owner(other)
    copied[KEYS[3]] = dataclasses.replace(_summary(*KEYS[3]), line=99)
    assert copied.owner is other and copied[KEYS[3]].line == 99 and loaded[KEYS[3]].line == 12
    assert copied.__dict__["_modules"] is loaded.__dict__["_modules"]


def test_another_layout_is_refused() -> None:
    with pytest.raises(ValueError):
        kept_pickle.loads(pickle.dumps({"index": None}))


def _write_project(root: Path) -> None:
    for name, text in PROJECT.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def _kept_and_loaded(root: Path) -> tuple:
    kept = _index(root)
    _state(kept)  # every answer computed (and remembered) before it is kept, as a run's index has
    return kept, kept_pickle.loads(kept_pickle.dumps(kept))


def _roots(tmp_path: Path) -> List[Path]:
    project = tmp_path / "project"
    _write_project(project)
    examples = tmp_path / "examples"
    shutil.copytree(REPOSITORY / "examples", examples)
    return [project, examples]


def test_a_loaded_index_answers_as_the_kept_one(tmp_path) -> None:
    for root in _roots(tmp_path):
        kept, loaded = _kept_and_loaded(root)
        assert isinstance(loaded, ProjectIndex)
        assert _state(loaded) == _state(kept), root


def test_an_index_kept_again_half_read_answers_as_the_kept_one(tmp_path) -> None:
    for root in _roots(tmp_path):
        kept, loaded = _kept_and_loaded(root)
        summaries = loaded.summaries
        modules = summaries.summaries.__dict__["_modules"]
        asked = sorted(path for path in modules)[::3]  # some modules' parts read, the others not
        for key in dict.keys(kept.summaries.summaries):
            if key[0] in asked:
                summaries.callers(key)
                summaries.function(*key)
        assert any(type(module) is LazyPartDict for module in modules.values()), root
        assert all(type(modules[path]) is PartDict for path in asked), root
        again = kept_pickle.loads(kept_pickle.dumps(loaded))
        assert _state(again) == _state(kept), root


def test_a_loaded_index_renumbered_answers_as_one_built_again(tmp_path) -> None:
    rng = random.Random(5)
    renumbered = 0
    for root in _roots(tmp_path):
        for module in sorted(root.rglob("*.py")):
            _, loaded = _kept_and_loaded(root)
            original = module.read_bytes()
            try:
                for _ in range(2):  # two edits: the second renumbers a renumbered, re-kept index
                    before = scan_source(module.read_bytes(), str(module))
                    module.write_text(_insert_lines(module.read_text(encoding="utf-8"), rng, rng.randint(1, 4)),
                                      encoding="utf-8")
                    after = scan_source(module.read_bytes(), str(module))
                    lines = moved_lines(before, after)
                    if lines is None:
                        break
                    renumbered_index = loaded.with_lines_moved({module.resolve(): (after, lines)})
                    loaded = kept_pickle.loads(kept_pickle.dumps(renumbered_index))
                    # Compared on a copy: `loaded` stays unread for the next edit.
                    assert _state(kept_pickle.loads(kept_pickle.dumps(loaded))) == _state(_index(root)), module
                    renumbered += 1
            finally:
                module.write_bytes(original)
    assert renumbered >= 10


def test_a_loaded_scan_encodes_as_the_kept_one(tmp_path) -> None:
    path = tmp_path / "models.py"
    scan = scan_source(PROJECT["app/models.py"].encode(), str(path))
    loaded = kept_pickle.loads(kept_pickle.dumps(scan))
    assert type(loaded.facts) is LazyPartDict  # type: ignore[attr-defined]
    assert json.dumps(encode_scan(loaded)) == json.dumps(encode_scan(scan))  # type: ignore[arg-type]
    assert type(decode_scan(encode_scan(scan), str(path)).facts) is PartDict


# -- a run ----------------------------------------------------------------------------------------
@pytest.fixture
def user_cache(tmp_path: Path, monkeypatch) -> Path:
    directory = tmp_path / "user-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(directory))
    return directory


def _lint(root: Path, files: List[Path], cache: Optional[ResultCache]) -> List[tuple]:
    report = runner.lint_files(files, BUILTIN_RULES, Settings(root=root), jobs=1, cache=cache,
                               index_also=sorted(root.rglob("*.py")))
    assert report.warnings == []
    return [(Path(d.filename).name, d.code, d.location.row, d.message) for d in report.diagnostics]


def test_a_run_after_a_moving_edit_reads_few_parts(tmp_path, monkeypatch, user_cache) -> None:
    root = tmp_path / "project"
    _write_project(root)
    for number in range(30):  # modules the linted file has nothing to do with
        (root / "app" / f"other{number}.py").write_text(
            f"from app.db import db\n\n\ndef other{number}(session):\n    session.add(1)\n", encoding="utf-8")
    old = 1_000_000_000
    for path in root.rglob("*.py"):
        os.utime(path, (old, old))
    monkeypatch.chdir(root)
    models = root / "app" / "models.py"  # relevant by itself: its facts are renumbered
    linted = [root / "app" / "views.py", models]
    first = _lint(root, linted, ResultCache(tmp_path / "cache"))
    models.write_text("# a line on top\n" + models.read_text(encoding="utf-8"), encoding="utf-8")
    os.utime(models, (old + 10, old + 10))
    loaded: List[object] = []
    load = ResultCache.load_index
    monkeypatch.setattr(ResultCache, "load_index", lambda self, state: loaded.append(load(self, state)) or loaded[-1])
    second = _lint(root, linted, ResultCache(tmp_path / "cache"))
    assert [found[:3] for found in second] == [
        (name, code, row + 1 if name == "models.py" else row) for name, code, row, _ in first]
    facts = loaded[0]["index"]._facts  # type: ignore[index]
    others = [facts[(root / "app" / f"other{number}.py").resolve()] for number in range(30)]
    assert all(type(module) is LazyPartDict for module in others)  # never read
    assert type(facts[models.resolve()]) is PartDict  # read to renumber it
    assert first and _lint(root, linted, None) == second


def test_a_kept_index_of_the_earlier_layout_is_not_loaded(tmp_path, user_cache) -> None:
    cache = ResultCache(tmp_path / "cache")
    cache.keep_index("a" * 64, {"index": 1})
    assert cache.save() is None
    assert ResultCache(tmp_path / "cache").load_index("a" * 64) == {"index": 1}
    kept = tmp_path / "cache" / _INDEX
    data = kept.read_bytes()
    # The earlier layout: another magic line; the state, the HMAC and a plain pickle after it.
    kept.write_bytes(b"session-lint project index\n" + data[data.index(b"\n") + 1:])
    assert ResultCache(tmp_path / "cache").load_index("a" * 64) is None
    assert ResultCache(tmp_path / "cache").load_index(None) is None
