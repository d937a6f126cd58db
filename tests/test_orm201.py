"""ORM201 unchecked-none-result, and the narrowing analysis it is built on."""
from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, List

import libcst as cst
import pytest

from session_lint import Settings, lint_source
from session_lint.config import load_settings
from session_lint.rules.orm201_unchecked_none_result import UncheckedNoneResult
from session_lint.semantic import SemanticModel
from session_lint.semantic.narrowing import Narrowing
from session_lint.settings import DEFAULT_NORETURN_FUNCTIONS
from tests.conftest import findings, messages

HEADER = """
from sqlalchemy import func, select
from sqlalchemy.orm import Session
"""
# Every module of the package must stay valid Python 3.9, the oldest version supported.
SOURCE_FILES = sorted((Path(__file__).resolve().parents[1] / "src/session_lint").rglob("*.py"))


def lint(body: str, **options) -> List[int]:
    """Rows of ORM201 findings in `body`, which is placed after the common imports."""
    source = HEADER + textwrap.dedent(body)
    return [row for row, _ in findings(source, "ORM201", **options)]


# -- where and how it is reported ------------------------------------------------------------------
def test_reported_at_the_call_with_the_first_use_and_the_fix() -> None:
    source = HEADER + textwrap.dedent("""
    def email_of(session: Session, user_id):
        user = session.get(User, user_id)
        print("looking up")
        return user.email
    """)
    result = lint_source(source, "app.py", [UncheckedNoneResult], Settings())
    [diagnostic] = result.diagnostics
    assert (diagnostic.location.row, diagnostic.location.column) == (6, 20)  # the `get` of `.get(`
    assert diagnostic.message == (
        "`session.get()` returns None when no row matches, and `user.email` on line 8 "
        "uses the result without a None check"
    )
    assert diagnostic.hint == (
        "check for None first (`if user is None: ...`), or use `session.get_one()` "
        "when a missing row is an error"
    )


@pytest.mark.parametrize("call, alternative", [
    ("session.execute(select(User)).scalars().first()", "`.one()`"),
    ("session.execute(select(User)).scalar_one_or_none()", "`.scalar_one()`"),
    ("session.execute(select(User)).scalar()", "`.scalar_one()`"),
    ("session.scalar(select(User.name))", "`session.execute(...).scalar_one()`"),
    ("session.query(User).first()", "`.one()`"),
])
def test_the_hint_names_the_strict_method(call: str, alternative: str) -> None:
    source = HEADER + f"\ndef f(session: Session):\n    x = {call}\n    return x.name\n"
    result = lint_source(source, "app.py", [UncheckedNoneResult], Settings())
    [diagnostic] = result.diagnostics
    assert f"or use {alternative} when" in (diagnostic.hint or "")


def test_chained_use_is_named_by_the_method() -> None:
    [message] = messages(HEADER + textwrap.dedent("""
    def f(session: Session, q):
        return session.scalars(q).first().email
    """), "ORM201")
    assert "`.first().email` on line 6" in message


def test_multi_line_chain_is_reported_on_the_method_line() -> None:
    assert lint("""
    def f(session: Session, name):
        return (
            session.query(User)
            .filter(User.name == name)
            .first()
            .email
        )
    """) == [9]


def test_reported_once_per_result_even_with_many_uses() -> None:
    assert lint("""
    def f(session: Session, user_id):
        user = session.get(User, user_id)
        print(user.name)
        print(user.email)
        return user.id
    """) == [6]


def test_each_result_of_one_name_is_reported() -> None:
    assert lint("""
    def f(session: Session, a, b):
        user = session.get(User, a)
        print(user.name)
        user = session.get(User, b)
        print(user.name)
    """) == [6, 8]


def test_noqa_on_the_statement_suppresses_it() -> None:
    assert lint("""
    def f(session: Session, user_id):
        user = session.get(User, user_id)  # noqa: ORM201
        return user.email
    """) == []


# -- flow ------------------------------------------------------------------------------------------
def test_a_later_iteration_reads_the_previous_result() -> None:
    assert lint("""
    def f(session: Session, ids):
        previous = None
        for user_id in ids:
            if user_id > 3:
                print(previous.name)
            previous = session.get(User, user_id)
    """) == [10]


def test_while_true_with_a_check_and_break() -> None:
    assert lint("""
    def f(session: Session):
        while True:
            job = session.scalars(select(Job).where(Job.done == False)).first()
            if job is None:
                break
            job.run()
    """) == []


def test_early_return_inside_with_block() -> None:
    assert lint("""
    def f(engine, user_id):
        with Session(engine) as session:
            user = session.get(User, user_id)
            if not user:
                return None
            return user.email
    """) == []


def test_walrus_in_a_comprehension_binds_in_the_function() -> None:
    assert lint("""
    def f(session: Session, ids):
        found = [u for i in ids if (u := session.get(User, i)) is not None]
        return found, u.name
    """) == [6]


def test_deeply_nested_loops_terminate() -> None:
    body = "def f(session: Session, items):\n    user = None\n"
    indent = "    "
    for depth in range(8):
        body += f"{indent}for x{depth} in items:\n"
        indent += "    "
    body += f"{indent}if user:\n{indent}    print(user.name)\n{indent}user = session.get(User, x0)\n"
    assert lint(body) == []


def test_match_statement_is_walked_without_narrowing() -> None:
    source = """
    def f(session: Session, user_id, kind):
        user = session.get(User, user_id)
        match kind:
            case "a":
                return user.name
            case _:
                return None
    """
    assert lint(source) == [6]


# -- never-returning calls ---------------------------------------------------------------------------
def test_default_noreturn_functions_cover_the_issue() -> None:
    assert {"flask.abort", "sys.exit", "pytest.fail", "pytest.skip", "os._exit"} <= set(DEFAULT_NORETURN_FUNCTIONS)


@pytest.mark.parametrize("imports, call", [
    ("from flask import abort", "abort(404)"),
    ("import flask", "flask.abort(404)"),
    ("import sys", "sys.exit(1)"),
    ("from os import _exit", "_exit(1)"),
    ("import pytest", "pytest.fail('missing')"),
])
def test_calls_that_never_return_are_exits(imports: str, call: str) -> None:
    assert lint(f"""
    {imports}

    def f(session: Session, user_id):
        user = session.get(User, user_id)
        if user is None:
            {call}
        return user.email
    """) == []


def test_a_local_abort_is_not_flasks() -> None:
    assert lint("""
    def abort(code):
        print(code)

    def f(session: Session, user_id):
        user = session.get(User, user_id)
        if user is None:
            abort(404)
        return user.email
    """) == [9]


def test_a_configured_function_counts_as_an_exit(tmp_path: Path) -> None:
    body = """
    from myapp.errors import raise_not_found

    def f(session: Session, user_id):
        user = session.get(User, user_id)
        if user is None:
            raise_not_found(user_id)
        return user.email
    """
    assert lint(body) == [8]
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.session-lint]\nextend-noreturn-functions = ["myapp.errors.raise_not_found"]\n')
    settings = load_settings(config, Settings())
    assert "flask.abort" in settings.noreturn_functions
    assert lint(body, settings=settings) == []


# -- what is not a finding ---------------------------------------------------------------------------
@pytest.mark.parametrize("filename", [
    "tests/test_users.py", "test_users.py", "users_test.py", "conftest.py", "tests/factories.py",
    "src/app/test/helpers.py",
])
def test_test_code_is_exempt(filename: str) -> None:
    source = HEADER + "\ndef newest(session: Session):\n    return session.scalars(select(User)).first().name\n"
    assert findings(source, "ORM201", filename=filename) == []


@pytest.mark.parametrize("filename", ["app/users.py", "contest.py", "attestation.py", "latest/users.py"])
def test_application_code_is_not_exempt(filename: str) -> None:
    source = HEADER + "\ndef newest(session: Session):\n    return session.scalars(select(User)).first().name\n"
    assert findings(source, "ORM201", filename=filename) == [(6, "ORM201")]


def test_test_functions_are_exempt_but_testimonials_are_not() -> None:
    assert lint("""
    def test_newest(session: Session):
        assert session.scalars(select(User)).first().name == "ada"

    def testimonial(session: Session):
        return session.scalars(select(Quote)).first().text
    """) == [9]


@pytest.mark.parametrize("expression, flagged", [
    ("session.scalar(select(func.count()).select_from(User)) + 1", False),
    ("session.scalar(select(func.count(User.id)).where(User.active)) + 1", False),
    ("session.execute(select(func.count(User.id).label('n'))).scalar() + 1", False),
    ("session.query(func.count(User.id)).scalar() + 1", False),
    ("session.execute(select(func.count(User.id), func.max(User.id))).first()[1]", False),
    ("session.scalar(select(func.max(User.id))) + 1", True),
    ("session.scalar(select(func.count(User.id)).group_by(User.kind)) + 1", True),
    ("session.execute(select(func.count(User.id)).group_by(User.kind)).first()[0]", True),
    ("session.execute(select(func.count(User.id), User.name)).first()[0]", True),
])
def test_aggregates_without_group_by_return_a_row(expression: str, flagged: bool) -> None:
    rows = lint(f"""
    def f(session: Session):
        return {expression}
    """)
    assert rows == ([6] if flagged else [])


def test_a_count_through_a_variable_is_never_none() -> None:
    assert lint("""
    def f(session: Session):
        stmt = select(func.count()).select_from(User)
        total = session.scalar(stmt)
        return total + 1
    """) == []


def test_string_formatting_is_not_arithmetic() -> None:
    assert lint("""
    def f(session: Session, user_id):
        user = session.get(User, user_id)
        return "user %s" % user
    """) == []


def test_ordering_comparisons_are_comparisons() -> None:
    # The issue asks for silence on comparisons; `None > 0` would raise, but is left alone.
    assert lint("""
    def f(session: Session):
        highest = session.scalar(select(func.max(User.id)))
        return highest == 3 or highest > 3
    """) == []


def test_existence_check_on_the_same_model_in_a_named_condition() -> None:
    assert lint("""
    def f(session: Session):
        any_user = session.query(User).count()
        if any_user > 0:
            return session.query(User).first().name
        return None
    """) == []


# -- the narrowing analysis, as other rules can ask it -------------------------------------------------
def guarded_loads(source: str) -> Dict[int, bool]:
    """{line: is_guarded} for every load of `x` in `source`."""
    module = cst.parse_module(textwrap.dedent(source))
    model = SemanticModel(module, "m.py", noreturn_functions=DEFAULT_NORETURN_FUNCTIONS)
    narrowing = model.get(Narrowing)
    result = {}
    for name in model.tree.of_type(cst.Name):
        parent = model.tree.parent_of(name)
        is_load = not (isinstance(parent, (cst.AssignTarget, cst.Param)) or
                       (isinstance(parent, cst.Attribute) and parent.attr is name))
        if name.value == "x" and is_load:
            result[model.line_of(name)] = narrowing.is_guarded(name)
    return result


def test_is_guarded_follows_checks_exits_and_reassignment() -> None:
    assert guarded_loads("""
    import sys

    def f(x, make):
        print(x)
        if x is None:
            sys.exit(1)
        print(x)
        x = make()
        print(x)
        x = x or make()
        print(x)
    """) == {5: False, 6: False, 8: True, 10: False, 11: False, 12: True}


def test_is_guarded_in_branches_and_expressions() -> None:
    assert guarded_loads("""
    def f(x):
        if x:
            print(x)
        print(x and x.a)
        assert x is not None
        return x
    """) == {3: False, 4: True, 5: True, 6: False, 7: True}


def test_is_guarded_treats_a_dereference_as_proof() -> None:
    assert guarded_loads("""
    def f(x):
        x.a
        return x
    """) == {3: False, 4: True}


# -- helpers that never return, rows known to exist (issue 7, real-world corpus) ------------------
def test_a_local_helper_never_returns_only_when_it_cannot() -> None:
    assert lint("""
    import typing

    def annotated(key) -> typing.NoReturn:
        raise KeyError(key)

    def returns_early(key):
        if key:
            return None
        raise KeyError(key)

    def nested_return_does_not_count(key):
        def inner():
            return 1
        raise KeyError(inner())

    def generator(key):
        yield key
        raise KeyError(key)

    def f(session: Session, i):
        a = session.get(User, i)
        if a is None:
            annotated(i)
        b = session.get(User, i)
        if b is None:
            returns_early(i)
        c = session.get(User, i)
        if c is None:
            nested_return_does_not_count(i)
        d = session.get(User, i)
        if d is None:
            generator(i)
        return a.x, b.x, c.x, d.x
    """) == [28, 34]


def test_a_written_row_is_known_only_on_its_own_session_and_before_it_is_removed() -> None:
    assert lint("""
    def f(session: Session, other: Session):
        user = User(name="ann")
        session.add(user)
        session.commit()
        same = session.get(User, user.id)
        elsewhere = other.get(User, user.id)
        session.expunge_all()
        later = session.get(User, user.id)
        return same.name, elsewhere.name, later.name
    """) == [10, 12]


def test_a_write_after_the_lookup_does_not_count() -> None:
    assert lint("""
    def f(session: Session):
        first = session.query(User).first()
        session.add(User(name="ann"))
        return first.name
    """) == [6]


def test_get_or_create_needs_the_same_lookup_and_an_insert_in_the_missing_branch() -> None:
    assert lint("""
    def f(session: Session, name):
        user = session.query(User).filter_by(name=name).first()
        if user is not None:
            session.add(User(name=name))
        user = session.query(User).filter_by(name=name).first()
        return user.id
    """) == [9]


# -- the code itself -------------------------------------------------------------------------------
@pytest.mark.parametrize("path", SOURCE_FILES, ids=lambda p: p.name)
def test_source_parses_as_python_3_9(path: Path) -> None:
    ast.parse(path.read_text(encoding="utf-8"), feature_version=(3, 9))


def test_cli_reports_the_rule(tmp_path: Path) -> None:
    app = tmp_path / "views.py"
    app.write_text(HEADER + "\ndef f(session: Session):\n    return session.scalars(select(User)).first().name\n")
    completed = subprocess.run(
        [sys.executable, "-m", "session_lint", "--isolated", "--no-cache", "--select", "ORM201",
         "--output-format", "concise", str(app)],
        capture_output=True, text=True, check=False,
    )
    assert f"{app}:6:" in completed.stdout and "ORM201" in completed.stdout, completed.stderr
    assert completed.returncode == 1
