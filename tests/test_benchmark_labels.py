"""The hand-written label files of the benchmarks read as their scripts read them: a row
with an unquoted comma in its reason shifts every later column (stop 20 committed one, and
`benchmarks/corpus.py` failed at its report, after minutes of linting)."""
from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _corpus_module():
    spec = importlib.util.spec_from_file_location("corpus_benchmark", BENCHMARKS / "corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_every_verdict_row_reads() -> None:
    rows = _corpus_module().read_verdicts()
    assert len(rows) > 300
    assert {row["verdict"] for row in rows} == {"true", "false"}


def test_a_row_with_an_unquoted_comma_is_named(tmp_path) -> None:
    path = tmp_path / "verdicts.csv"
    path.write_text("project,version,path,line,code,verdict,reason,round\n"
                    "app,1,app.py,3,ORM201,false,two, parts,3\n", encoding="utf-8")
    with pytest.raises(SystemExit, match=r"verdicts.csv:2: 9 fields for 8 columns"):
        _corpus_module().read_verdicts(path)


@pytest.mark.parametrize("labels", sorted((BENCHMARKS / "bugfix").glob("bugs-*.csv")), ids=lambda path: path.name)
def test_every_bug_label_row_has_the_header_columns(labels: Path) -> None:
    with labels.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    for number, row in enumerate(rows, start=2):
        assert None not in row and all(value is not None for value in row.values()), f"{labels.name}:{number}"
        assert row["bad_lines"] and row["fix_commit"], f"{labels.name}:{number}"
