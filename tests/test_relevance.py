"""Which modules are relevant by their own text (`project_index.is_relevant_text`: their facts
read at once, before the summaries' closure decides about the others). On the standard library
nine modules were, none of them SQLAlchemy code: two by `.query` in a module path, three by
`session` in a comment or a docstring (and two by a URL's bare `.query`, which still counts:
the last test). They cost 0.11 s of CPU in a 0.45 s run."""
from __future__ import annotations

from pathlib import Path

import pytest

from session_lint.project_index import ProjectIndex, is_relevant_text, names_a_session
from session_lint.rules import BUILTIN_RULES
from session_lint.runner import lint_files
from session_lint.settings import Settings


@pytest.mark.parametrize("text", [
    "from idlelib.query import Query\n",
    "import app.query as q\n",
    "        # Create unique tag for this session,\n",
    '    """If there has been no previous EHLO or HELO command this session, this\n    method tries."""\n',
    '"""\n      start_new_session (POSIX only)\n"""\n',
    "x = 1  # the session, if any\n",
    "An interactive session.\n",
])
def test_look_alikes_are_not_relevant_by_themselves(text: str) -> None:
    assert not is_relevant_text(text)


@pytest.mark.parametrize("text", [
    "user = session.query(User).first()\n",
    "users = User.query.filter_by(active=True).all()\n",
    "q = User.query\n",  # Flask-SQLAlchemy's, maybe (the last test)
    "from sqlalchemy.orm import Session\n",
    "class User(Base):\n    __tablename__ = 'users'\n",
    "def rename(session, user_id):\n    pass\n",
    "def rename(user_id, session):\n    pass\n",
    "    return session, user\n",
    "    self.session = None\n",
    "    db = get_session()\n",
    "lambda session: session\n",
    "f(a, session=None)\n",
    "print('#', session, x)\n",  # a `#` inside a string is no comment
    "    if not session:\n        pass\n",
])
def test_code_is_relevant(text: str) -> None:
    assert is_relevant_text(text)


def test_a_session_in_a_comment_after_code_does_not_hide_one_before_it() -> None:
    assert names_a_session("save(session, user)  # commits the session, later\n")


def test_a_bare_query_keeps_its_module_relevant(tmp_path: Path) -> None:
    """Flask-SQLAlchemy: `q = User.query` in a helper module that spells nothing else, whose
    `Optional` result a view uses unchecked. The closure does not reach the helper (the facts
    do not take `User(db.Model)` for a mapped class whose name matters): the bare `.query`
    must keep it relevant, or the finding is lost."""
    files = {
        "pyproject.toml": "",
        "app/__init__.py": "",
        "app/db.py": "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n",
        "app/models.py": ("from app.db import db\n\n\nclass User(db.Model):\n"
                          "    id = db.Column(db.Integer, primary_key=True)\n    name = db.Column(db.String)\n"),
        "app/lookups.py": ("from typing import Optional\n\nfrom app.models import User\n\n\n"
                           "def user_named(name) -> Optional[User]:\n    q = User.query\n"
                           "    return q.filter_by(name=name).first()\n"),
        "app/views.py": "from app.lookups import user_named\n\n\ndef show(name):\n    return user_named(name).name\n",
    }
    for relative, text in files.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text, encoding="utf-8")
    assert is_relevant_text(files["app/lookups.py"])
    index = ProjectIndex.scan(sorted(tmp_path.rglob("*.py")))
    report = lint_files([tmp_path / "app" / "views.py"], BUILTIN_RULES, Settings(root=tmp_path), index=index)
    assert [(d.code, d.location.row) for d in report.diagnostics] == [("ORM201", 5)]


def test_the_context_of_a_name_is_read_a_bounded_way_back() -> None:
    """A `#` more than `_LOOK_BACK` characters before the name on its line is not seen: the
    module stays relevant (the safe side), and a long generated line of many names costs
    its length, not its length times their number (29 s for a 112 KB line before the bound)."""
    from session_lint.project_index import _LOOK_BACK

    assert not names_a_session("# " + "y" * (_LOOK_BACK - 20) + ", session, x\n")
    assert names_a_session("# " + "y" * (_LOOK_BACK + 20) + ", session, x\n")
