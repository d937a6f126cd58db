"""Generated valid programs never make the engine raise or report an internal error.

Bounded so CI stays fast; `benchmarks/fuzz.py` runs the long campaign.
"""
from __future__ import annotations

import pytest

hypothesis = pytest.importorskip("hypothesis")
hypothesmith = pytest.importorskip("hypothesmith")

from hypothesis import HealthCheck, given, settings  # noqa: E402

from session_lint import Settings, lint_source  # noqa: E402
from session_lint.fuzzing import lint_generated, session_variants  # noqa: E402
from session_lint.rules import BUILTIN_RULES  # noqa: E402

FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=list(HealthCheck))
# hypothesmith compiles what it generates: `1()` and the like warn, harmlessly.
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")


@FUZZ
@given(hypothesmith.from_grammar())
def test_grammar_programs(source: str) -> None:
    assert lint_generated(source) is None


@FUZZ
@given(hypothesmith.from_node())
def test_libcst_node_programs(source: str) -> None:
    assert lint_generated(source) is None


def test_session_variants_make_every_rule_run() -> None:
    source = "if x:\n    y = f(x).bar\nfor a in b:\n    c.d(a)\n"
    variants = session_variants(source)
    assert len(variants) == 2
    for text in variants:
        assert all(any(token in text for token in rule.tokens) for rule in BUILTIN_RULES)
        result = lint_source(text, "variant.py", BUILTIN_RULES, Settings())
        assert result.parsed and not any(d.code in ("ORM001", "ORM002") for d in result.diagnostics)


@pytest.mark.parametrize(
    "source",
    [
        "",
        "# only a comment\n",
        "from __future__ import annotations\n",
        "async def f():\n    yield\n    return\n",
        "class C:\n    def f(self):\n        global x\n        nonlocal_ = lambda: (yield)\n",
        "try:\n    pass\nexcept* ValueError:\n    pass\nfinally:\n    del x\n",
        "match x:\n    case [a, *rest] if a:\n        pass\n    case {'k': v, **kw}:\n        pass\n",
        "while True:\n    try:\n        break\n    finally:\n        continue\nelse:\n    pass\n",
        "x = [y async for y in z if await y]\n",
        "with (a as b, c as d):\n    pass\n",
        "def f(a, /, b, *, c):\n    return (a := b) if c else not a\n",
        "s = '''\n    session.add(x)\n'''\n",
    ],
    ids=["empty", "comment", "future", "async-gen", "global", "except-star", "match", "finally-continue",
         "async-comprehension", "parenthesized-with", "walrus", "multiline-string"],
)
def test_tricky_shapes_in_every_variant(source: str) -> None:
    assert lint_generated(source) is None


# -- programs the long campaign found, minimized -------------------------------------------------------
@pytest.mark.parametrize("filename", ["/x.py", "generated.py"])
def test_relative_import_above_the_filesystem_root(filename: str) -> None:
    # `from ... import engine` in /x.py: the package three levels up is above "/"; resolving
    # the import for the project index raised ValueError ("PosixPath('/') has an empty name").
    source = ("from sqlalchemy.orm import Session\nfrom ... import engine\n\n"
              "def f():\n    with Session(engine) as session:\n        session.add(1)\n")
    result = lint_source(source, filename, BUILTIN_RULES, Settings())
    assert [d.code for d in result.diagnostics] == ["ORM101"]
    assert lint_generated("from...import(a,b);\n") is None
