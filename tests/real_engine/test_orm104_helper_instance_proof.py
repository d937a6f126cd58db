"""ORM104 on objects a project function returns, on a real engine (issue 18, Marzban
d667da3f): `crud.create_user(db, data)` commits the session it is given, refreshes the user
and returns it; `with GetDB() as db:` closes the session at the block's end. The columns
are there, the lazy relationship is not: reading it after the block raises
DetachedInstanceError. Runs the fixture project `rules/ORM104/helper_instances/` itself."""
from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Dict, Iterator, List, Tuple

import pytest

pytest.importorskip("sqlalchemy")
from sqlalchemy.orm.exc import DetachedInstanceError  # noqa: E402

from session_lint.cli import main  # noqa: E402

PROJECT = Path(__file__).resolve().parents[2] / "rules" / "ORM104" / "helper_instances"
MODULES = ("db", "models", "crud", "bot")


def lint(monkeypatch, capsys) -> List[Tuple[str, int, str]]:
    monkeypatch.chdir(PROJECT)
    with pytest.raises(SystemExit):
        main(["--no-cache", "--output-format", "json", "--exit-zero", "--select", "ORM104", "."])
    found = json.loads(capsys.readouterr().out)
    return sorted((Path(item["filename"]).name, item["location"]["row"], item["code"]) for item in found)


@pytest.fixture
def bot() -> Iterator[object]:
    """The fixture project's modules, imported from its directory, tables created."""
    saved: Dict[str, object] = {name: sys.modules.pop(name) for name in MODULES if name in sys.modules}
    sys.path.insert(0, str(PROJECT))
    try:
        db = importlib.import_module("db")
        models = importlib.import_module("models")
        models.Base.metadata.create_all(db.engine)
        yield importlib.import_module("bot")
        db.engine.dispose()
    finally:
        sys.path.remove(str(PROJECT))
        for name in MODULES:
            sys.modules.pop(name, None)
        sys.modules.update(saved)  # type: ignore[arg-type]


def test_the_findings_are_the_three_expected_reads(monkeypatch, capsys) -> None:
    assert lint(monkeypatch, capsys) == [("bot.py", 8, "ORM104"), ("bot.py", 14, "ORM104"), ("bot.py", 23, "ORM104")]


def test_flagged_relationship_read_after_the_block_raises(bot) -> None:
    data = SimpleNamespace(username="ada", proxies=["vmess", "trojan"])
    with pytest.raises(DetachedInstanceError):
        bot.add_user(data)  # type: ignore[attr-defined]
    with pytest.raises(DetachedInstanceError):
        bot.add_user_locally("bob")  # type: ignore[attr-defined]


def test_flagged_column_read_of_an_expired_object_raises(bot) -> None:
    with pytest.raises(DetachedInstanceError):
        bot.rename(7, "cy")  # type: ignore[attr-defined]


def test_the_silent_neighbours_work(bot) -> None:
    data = SimpleNamespace(username="ada", proxies=["vmess", "trojan"])
    # The fix: read the relationship while the session is open.
    assert sorted(bot.add_user_inside(data)) == ["trojan", "vmess"]  # type: ignore[attr-defined]
    # refresh() loaded the columns; a selectin relationship is loaded with them.
    assert bot.add_user_name(data) == "ada"  # type: ignore[attr-defined]
    assert bot.add_user_notes(data) == []  # type: ignore[attr-defined]
