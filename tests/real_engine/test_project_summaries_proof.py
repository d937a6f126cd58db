"""Issue 18 on a real engine: what the project's function summaries let the rules see is a
real loss, a real crash or a real failed session, and the fix the message gives works.

Each case is a small project of two modules, linted as a whole tree through the CLI (the
helper lives in one module, the mistake in the other), then the same code is run against
SQLite."""
from __future__ import annotations

import json
import sys
import textwrap
import types
from typing import Callable, Dict, Iterator, List, Tuple

import pytest

sqlalchemy = pytest.importorskip("sqlalchemy")
from sqlalchemy import String, create_engine, func, select  # noqa: E402
from sqlalchemy.exc import PendingRollbackError  # noqa: E402
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker  # noqa: E402

from session_lint.cli import main  # noqa: E402


class Base(DeclarativeBase):
    pass


class Record(Base):
    __tablename__ = "records"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(50), unique=True)


CRUD = '''
from typing import Optional

from sqlalchemy.orm import Session

from models import Record


def schedule_record(db: Session, email):
    db.add(Record(email=email))


def store(db: Session, email):
    db.add(Record(email=email))
    db.commit()


def find(db: Session, email) -> Optional[Record]:
    return db.query(Record).filter_by(email=email).first()
'''

API = '''
from fastapi import Depends, FastAPI
from sqlalchemy.orm import Session

from crud import schedule_record
from models import SessionLocal

app = FastAPI()


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


@app.post("/records")
def create(email: str, db: Session = Depends(get_db)):
    schedule_record(db, email)
    return {"status": "OK"}
'''
API_FIXED = API.replace('    schedule_record(db, email)\n', '    schedule_record(db, email)\n    db.commit()\n')

IMPORT = '''
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crud import store


def import_all(db: Session, emails):
    stored = []
    for email in emails:
        try:
            store(db, email)
            stored.append(email)
        except IntegrityError:
            continue
    return stored
'''
IMPORT_FIXED = IMPORT.replace("        except IntegrityError:\n",
                              "        except IntegrityError:\n            db.rollback()\n")

OWNER = '''
from sqlalchemy.orm import Session

from crud import find


def owner_domain(db: Session, email):
    record = find(db, email)
    return record.email.split("@")[1]
'''
OWNER_FIXED = OWNER.replace("    record = find(db, email)\n",
                            "    record = find(db, email)\n    if record is None:\n        return None\n")

CLEANUP = '''
from sqlalchemy import delete
from sqlalchemy.orm import Session

from models import Record, engine


def purge(email):
    with Session(engine) as session:
        session.execute(delete(Record).where(Record.email == email))
'''
CLEANUP_FIXED = CLEANUP + "        session.commit()\n"

MODELS = '''
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

engine = create_engine("sqlite://")
SessionLocal = sessionmaker(engine)
'''


def lint_project(tmp_path, monkeypatch, capsys, files: Dict[str, str]) -> List[Tuple[str, int, str]]:
    root = tmp_path / "project"
    (root / ".git").mkdir(parents=True)
    for name, text in {"models.py": MODELS, "crud.py": CRUD, **files}.items():
        (root / name).write_text(textwrap.dedent(text))
    monkeypatch.chdir(root)
    with pytest.raises(SystemExit):
        main(["--no-cache", "--output-format", "json", "--exit-zero", "."])
    found = json.loads(capsys.readouterr().out)
    return sorted((item["filename"].rsplit("/", 1)[-1], item["location"]["row"], item["code"]) for item in found)


@pytest.fixture
def engine(tmp_path) -> Iterator[object]:
    engine = create_engine(f"sqlite:///{tmp_path / 'app.db'}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def load(source: str, engine, **names: object) -> types.ModuleType:
    """Run a module of the project against `engine`, with `crud` and `models` importable."""
    models = types.ModuleType("models")
    models.Record = Record  # type: ignore[attr-defined]
    models.engine = engine  # type: ignore[attr-defined]
    models.SessionLocal = sessionmaker(engine)  # type: ignore[attr-defined]
    sys.modules["models"] = models
    crud = types.ModuleType("crud")
    exec(compile(textwrap.dedent(CRUD), "crud.py", "exec"), crud.__dict__)
    sys.modules["crud"] = crud
    sys.modules.setdefault("fastapi", _fastapi_stand_in())
    module = types.ModuleType("snippet")
    module.__dict__.update(names)
    try:
        exec(compile(textwrap.dedent(source), "snippet.py", "exec"), module.__dict__)
    finally:
        del sys.modules["models"], sys.modules["crud"]
    return module


def _fastapi_stand_in() -> types.ModuleType:
    """What the handler module needs of FastAPI when it is not installed: `Depends` and a
    route decorator (`handle` below plays FastAPI's part in calling the dependency)."""
    stand_in = types.ModuleType("fastapi")

    class FastAPI:
        def post(self, path):
            return lambda function: function

    stand_in.FastAPI = FastAPI  # type: ignore[attr-defined]
    stand_in.Depends = lambda dependency: None  # type: ignore[attr-defined]
    return stand_in


def count(engine) -> int:
    with Session(engine) as check:
        return check.scalar(select(func.count()).select_from(Record)) or 0


def through_dependency(dependency: Callable[[], Iterator[Session]], handler: Callable[[Session], object]) -> None:
    """What FastAPI does for a route: run the dependency up to its `yield`, call the
    handler with the session, then finish the dependency (it closes the session)."""
    running = dependency()
    session = next(running)
    try:
        handler(session)
    finally:
        running.close()


def handle(module: types.ModuleType, email: str) -> None:
    through_dependency(module.get_db, lambda db: module.create(email, db=db))


def test_helper_work_in_a_dependency_session_is_lost(tmp_path, monkeypatch, capsys, engine) -> None:
    assert ("api.py", 21, "ORM101") in lint_project(tmp_path, monkeypatch, capsys, {"api.py": API})
    handle(load(API, engine), "a@example.com")
    assert count(engine) == 0  # the dependency closed the session: the row was rolled back


def test_committing_in_the_handler_keeps_the_helper_work(tmp_path, monkeypatch, capsys, engine) -> None:
    assert [f for f in lint_project(tmp_path, monkeypatch, capsys, {"api.py": API_FIXED}) if f[2] == "ORM101"] == []
    handle(load(API_FIXED, engine), "a@example.com")
    assert count(engine) == 1


def test_a_failed_commit_in_a_helper_fails_the_callers_loop(tmp_path, monkeypatch, capsys, engine) -> None:
    assert ("importer.py", 14, "ORM401") in lint_project(tmp_path, monkeypatch, capsys, {"importer.py": IMPORT})
    module = load(IMPORT, engine)
    with Session(engine) as db:
        with pytest.raises(PendingRollbackError):
            module.import_all(db, ["a@example.com", "a@example.com", "b@example.com"])


def test_rolling_back_after_the_helper_fails_keeps_the_loop_going(tmp_path, monkeypatch, capsys, engine) -> None:
    found = lint_project(tmp_path, monkeypatch, capsys, {"importer.py": IMPORT_FIXED})
    assert [f for f in found if f[2] == "ORM401"] == []
    module = load(IMPORT_FIXED, engine)
    with Session(engine) as db:
        assert module.import_all(db, ["a@example.com", "a@example.com", "b@example.com"]) == [
            "a@example.com", "b@example.com"]
    assert count(engine) == 2


def test_a_helpers_none_row_crashes_the_caller(tmp_path, monkeypatch, capsys, engine) -> None:
    assert ("owner.py", 8, "ORM201") in lint_project(tmp_path, monkeypatch, capsys, {"owner.py": OWNER})
    module = load(OWNER, engine)
    with Session(engine) as db:
        with pytest.raises(AttributeError):
            module.owner_domain(db, "nobody@example.com")


def test_checking_the_helpers_row_returns_none(tmp_path, monkeypatch, capsys, engine) -> None:
    found = lint_project(tmp_path, monkeypatch, capsys, {"owner.py": OWNER_FIXED})
    assert [f for f in found if f[2] == "ORM201"] == []
    module = load(OWNER_FIXED, engine)
    with Session(engine) as db:
        assert module.owner_domain(db, "nobody@example.com") is None


def test_a_delete_statement_without_commit_deletes_nothing(tmp_path, monkeypatch, capsys, engine) -> None:
    assert ("cleanup.py", 10, "ORM101") in lint_project(tmp_path, monkeypatch, capsys, {"cleanup.py": CLEANUP})
    with Session(engine) as setup:
        setup.add(Record(email="old@example.com"))
        setup.commit()
    load(CLEANUP, engine).purge("old@example.com")
    assert count(engine) == 1
    found = lint_project(tmp_path / "fixed", monkeypatch, capsys, {"cleanup.py": CLEANUP_FIXED})
    assert [f for f in found if f[2] == "ORM101"] == []
    load(CLEANUP_FIXED, engine).purge("old@example.com")
    assert count(engine) == 0
