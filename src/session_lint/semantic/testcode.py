"""Which code is test code: rules that report work a test does on purpose stay quiet there.

A test reads a missing row to fail (ORM201), or flushes and asserts inside a transaction it
throws away for isolation (ORM101); neither is a mistake of the project.
"""
from __future__ import annotations

import re
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Optional, Union

import libcst as cst

from .paths import project_directories

if TYPE_CHECKING:
    from . import SemanticModel

TEST_DIRECTORIES = frozenset({"tests", "test", "testing"})
# `TestUser`, `Test_api`, `Test`; not `Testimonial` or `TestingConfig`, which are application names.
_TEST_CLASS = re.compile(r"^Test($|[A-Z0-9_])")


def is_test_file(filename: Optional[str], root: Optional[Union[str, Path]] = None) -> bool:
    """`test_*.py`, `*_test.py`, `conftest.py`, or a file under a `tests/`, `test/` or
    `testing/` directory of the project (the path is taken relative to `root` when it lies
    under it, so a checkout in `/home/me/tests/app` is not all test code)."""
    if not filename:
        return False
    name = PurePath(filename).name
    if name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py":
        return True
    return any(part in TEST_DIRECTORIES for part in project_directories(filename, root))


def in_test_code(model: "SemanticModel", node: cst.CSTNode) -> bool:
    """`node` is inside a `def test_...()` or a `class Test...:` (`TestUser`, not
    `Testimonial`), in any file: a test next to the code, a test module outside the usual
    places."""
    for scope in model.tree.ancestors(node):
        if isinstance(scope, cst.FunctionDef) and scope.name.value.startswith("test_"):
            return True
        if isinstance(scope, cst.ClassDef) and _TEST_CLASS.match(scope.name.value):
            return True
    return False
