"""The report formats CI systems read (SARIF validated against the SARIF 2.1.0 schema,
GitLab code quality, JUnit XML, pylint), `--output-file`, `--statistics` in JSON, the
summary line and colour."""
from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import List, Tuple

import pytest

from tests.conftest import run_cli

jsonschema = pytest.importorskip("jsonschema")

# The OASIS SARIF 2.1.0 schema (errata 01), as published at its `id`.
SARIF_SCHEMA = Path(__file__).resolve().parent / "data" / "sarif-schema-2.1.0.json"

VIEWS = textwrap.dedent('''\
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from app.models import User


    def age(session: Session, user_id):
        return session.get(User, user_id).age


    def unknown(session: Session):
        return session.scalars(select(User).where(User.age is None)).all()
    ''')


def run(args: List[str], capsys) -> Tuple[int, str, str]:
    return run_cli(["--no-cache", *args], capsys)


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "views.py").write_text(VIEWS)
    (tmp_path / "app" / "odd name %.py").write_text("from sqlalchemy.orm import Session\ns = Session()\ns.add(x\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _validate(log: dict) -> None:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)


def test_sarif_is_valid_and_carries_rules_help_locations_and_fixes(project: Path, capsys) -> None:
    code, out, _ = run(["--output-format", "sarif", "app"], capsys)
    assert code == 1
    log = json.loads(out)
    _validate(log)
    run_ = log["runs"][0]
    rules = {rule["id"]: rule for rule in run_["tool"]["driver"]["rules"]}
    assert {"ORM001", "ORM201", "ORM503"} <= set(rules) and "ORM304" not in rules  # opt-in, not run
    assert rules["ORM201"]["helpUri"].endswith("/rules/ORM201/README.md")
    assert rules["ORM201"]["help"]["markdown"].startswith("# ORM201 unchecked-none-result")
    results = {result["ruleId"]: result for result in run_["results"]}
    assert set(results) == {"ORM001", "ORM201", "ORM503"}
    location = results["ORM503"]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "app/views.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 12, "startColumn": 47, "endLine": 12, "endColumn": 63}
    assert results["ORM001"]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/odd%20name%20%25.py"
    assert results["ORM001"]["level"] == "error" and results["ORM201"]["level"] == "warning"
    (fix,) = results["ORM503"]["fixes"]
    assert fix["artifactChanges"][0]["replacements"][0]["insertedContent"] == {"text": "User.age.is_(None)"}
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.resolve().as_uri() + "/"
    assert results["ORM201"]["partialFingerprints"]["sessionLint/v1"]


def test_sarif_of_a_clean_run_is_valid(project: Path, capsys) -> None:
    (project / "app" / "odd name %.py").unlink()
    (project / "app" / "views.py").write_text("x = 1\n")
    code, out, _ = run(["--output-format", "sarif", "app"], capsys)
    log = json.loads(out)
    _validate(log)
    assert code == 0 and log["runs"][0]["results"] == []


def test_gitlab_code_quality(project: Path, capsys) -> None:
    _, out, _ = run(["--output-format", "gitlab", "app"], capsys)
    items = json.loads(out)
    assert {item["check_name"] for item in items} == {"ORM001", "ORM201", "ORM503"}
    by_code = {item["check_name"]: item for item in items}
    assert by_code["ORM201"]["location"] == {"path": "app/views.py", "lines": {"begin": 8, "end": 8}}
    assert by_code["ORM201"]["severity"] == "major" and by_code["ORM001"]["severity"] == "critical"
    assert len({item["fingerprint"] for item in items}) == 3
    # The fingerprint does not move with the line.
    (project / "app" / "views.py").write_text("import os\n" + VIEWS)
    _, moved, _ = run(["--output-format", "gitlab", "app"], capsys)
    assert {i["fingerprint"] for i in json.loads(moved)} == {i["fingerprint"] for i in items}


def test_junit(project: Path, capsys) -> None:
    _, out, _ = run(["--output-format", "junit", "app"], capsys)
    root = ElementTree.fromstring(out.split("\n", 1)[1])
    assert root.tag == "testsuites" and root.get("failures") == "3"
    cases = root.findall("./testsuite/testcase")
    assert {case.get("name") for case in cases} == {"org.session-lint.ORM001", "org.session-lint.ORM201",
                                                    "org.session-lint.ORM503"}
    failure = [case for case in cases if case.get("name").endswith("ORM201")][0].find("failure")
    assert failure.get("type") == "ORM201" and failure.text.startswith("line 8, col 20, ORM201 ")


def test_junit_of_a_clean_run_has_one_passing_case(project: Path, capsys) -> None:
    (project / "app" / "odd name %.py").unlink()
    (project / "app" / "views.py").write_text("x = 1\n")
    _, out, _ = run(["--output-format", "junit", "app"], capsys)
    root = ElementTree.fromstring(out.split("\n", 1)[1])
    assert root.get("failures") == "0" and len(root.findall("./testsuite/testcase")) == 1


def test_pylint(project: Path, capsys) -> None:
    _, out, _ = run(["--output-format", "pylint", "app/views.py"], capsys)
    assert out.splitlines()[0].startswith("app/views.py:8: [ORM201] `session.get()` returns None")


def test_output_file(project: Path, capsys) -> None:
    code, out, err = run(["--output-format", "sarif", "--output-file", "report.sarif", "app"], capsys)
    assert (code, out, err) == (1, "", "")
    _validate(json.loads((project / "report.sarif").read_text()))
    code, out, err = run(["-o", "missing/dir/report.txt", "app"], capsys)
    assert code == 2 and "cannot write the report to missing/dir/report.txt" in err


def test_statistics_honour_json(project: Path, capsys) -> None:
    _, out, _ = run(["--statistics", "--output-format", "json", "app"], capsys)
    assert json.loads(out) == [
        {"code": "ORM001", "name": "syntax-error", "count": 1, "fixable": False},
        {"code": "ORM201", "name": "unchecked-none-result", "count": 1, "fixable": False},
        {"code": "ORM503", "name": "identity-comparison-in-filter", "count": 1, "fixable": True},
    ]
    _, text, _ = run(["--statistics", "app"], capsys)
    assert text.splitlines()[1] == "    1\tORM201\tunchecked-none-result"


def test_json_items_carry_the_rule_name_and_page(project: Path, capsys) -> None:
    _, out, _ = run(["--output-format", "json", "app/views.py"], capsys)
    item = json.loads(out)[0]
    assert (item["code"], item["name"]) == ("ORM201", "unchecked-none-result")
    assert item["url"] == "https://github.com/session-lint/session-lint/blob/main/rules/ORM201/README.md"


def test_summary_line(project: Path, capsys) -> None:
    _, out, _ = run(["app/views.py"], capsys)
    assert out.endswith("\nFound 2 findings (1 fixable with --fix, 1 more with --unsafe-fixes).\n")
    _, out, _ = run(["--unsafe-fixes", "app/views.py"], capsys)
    assert out.endswith("\nFound 2 findings (2 fixable with --fix).\n")
    _, out, _ = run(["--output-format", "concise", "app/views.py"], capsys)
    assert "Found" not in out  # concise stays one line per finding


def test_no_summary_claims_success_when_a_file_could_not_be_read(project: Path, capsys) -> None:
    code, out, err = run(["app/missing.py"], capsys)
    assert code == 2 and out == "" and "missing.py" in err


@pytest.mark.parametrize("args, env, colored", [
    (["--color", "always"], {}, True),
    (["--color", "always"], {"NO_COLOR": "1"}, True),  # an explicit option wins (no-color.org)
    (["--color", "never"], {}, False),
    ([], {}, False),  # auto: not a terminal
])
def test_color(project: Path, capsys, monkeypatch, args: List[str], env: dict, colored: bool) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    _, out, _ = run([*args, "app/views.py"], capsys)
    assert ("\x1b[" in out) == colored


def test_auto_color_on_a_terminal_respects_no_color(monkeypatch) -> None:
    from session_lint.summary import use_color

    class Terminal:
        def isatty(self) -> bool:
            return True

    assert use_color("auto", Terminal())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color("auto", Terminal())
    monkeypatch.setenv("NO_COLOR", "")
    assert use_color("auto", Terminal())
