"""ORM104 on a real engine: every flagged form raises DetachedInstanceError, every suggested fix
and every silent look-alike reads its values.

Each snippet is linted and then executed as it is: `scenario(engine)` plays the caller.
"""
from __future__ import annotations

import textwrap
from typing import Dict, List, Optional, Tuple

import pytest

sqlalchemy = pytest.importorskip("sqlalchemy")
from sqlalchemy import String, create_engine  # noqa: E402
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column  # noqa: E402
from sqlalchemy.orm.exc import DetachedInstanceError  # noqa: E402

from tests.conftest import findings  # noqa: E402


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


class Address(Base):
    __tablename__ = "addresses"
    id: Mapped[int] = mapped_column(primary_key=True)
    street: Mapped[str] = mapped_column(String(50))


class UserOut:
    """Reads the attributes of what it is given, as pydantic's `from_attributes` does."""

    @classmethod
    def model_validate(cls, obj: User) -> Dict[str, object]:
        return {"id": obj.id, "name": obj.name}


HEADER = """
from contextlib import contextmanager
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
"""

# (id, body, the flagged line counted from the first line of the body)
FLAGGED: List[Tuple[str, str, int]] = [
    ("read after the with block", """
def scenario(engine):
    with Session(engine) as session:
        user = User(name="ada")
        session.add(user)
        session.commit()
    return user.name
""", 7),
    ("primary key after the with block", """
def scenario(engine):
    with Session(engine) as session:
        user = User(name="ada")
        session.add(user)
        session.commit()
    return user.id
""", 7),
    ("returned from inside the block after the commit", """
def load(engine):
    with sessionmaker(engine)() as session:
        user = session.get(User, 1)
        session.commit()
        return user

def scenario(engine):
    return load(engine).name
""", 6),
    ("with Session() as s, s.begin(): commits when it ends", """
def scenario(engine):
    with Session(engine) as session, session.begin():
        user = session.get(User, 1)
    return user.name
""", 5),
    ("returned from inside a begin() block", """
def load(engine):
    with Session(engine) as session, session.begin():
        user = session.get(User, 1)
        return user

def scenario(engine):
    return load(engine).name
""", 5),
    ("maker.begin() block", """
def scenario(engine):
    with sessionmaker(engine).begin() as session:
        user = session.scalars(select(User)).first()
    return user.name
""", 5),
    ("local session closed in finally", """
def load(engine):
    session = sessionmaker(engine)()
    try:
        user = session.get(User, 1)
        session.commit()
        return user
    finally:
        session.close()

def scenario(engine):
    return load(engine).name
""", 7),
    ("session-scope context manager", """
@contextmanager
def session_scope(engine):
    session = Session(engine)
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()

def scenario(engine):
    with session_scope(engine) as session:
        user = session.get(User, 1)
    return user.name
""", 17),
    ("element of a loaded list", """
def scenario(engine):
    with Session(engine) as session:
        users = session.scalars(select(User)).all()
        session.commit()
    return [user.name for user in users]
""", 6),
    ("schema validation reads every attribute", """
def scenario(engine):
    with Session(engine) as session:
        user = session.get(User, 1)
        session.commit()
    return UserOut.model_validate(user)
""", 6),
    ("a query of another class does not reload it", """
def scenario(engine):
    with Session(engine) as session:
        user = session.get(User, 1)
        session.commit()
        session.scalars(select(Address)).all()
    return user.name
""", 7),
]

FIXED: List[Tuple[str, str]] = [
    ("refresh after the commit", """
def scenario(engine):
    with Session(engine) as session:
        user = User(name="ada")
        session.add(user)
        session.commit()
        session.refresh(user)
    return user.name
"""),
    ("read before the block ends", """
def scenario(engine):
    with Session(engine) as session, session.begin():
        user = session.get(User, 1)
        name = user.name
    return name
"""),
    ("expire_on_commit=False on the Session", """
def scenario(engine):
    with Session(engine, expire_on_commit=False) as session:
        user = session.get(User, 1)
        session.commit()
    return user.name
"""),
    ("expire_on_commit=False on the sessionmaker", """
def load(engine):
    with sessionmaker(engine, expire_on_commit=False)() as session:
        user = session.get(User, 1)
        session.commit()
        return user

def scenario(engine):
    return load(engine).name
"""),
]

SILENT: List[Tuple[str, str]] = [
    ("read inside the open session after the commit", """
def scenario(engine):
    with Session(engine) as session:
        user = session.get(User, 1)
        session.commit()
        return user.name
"""),
    ("write, then read that attribute back", """
def scenario(engine):
    with Session(engine) as session:
        user = session.get(User, 1)
        session.commit()
    user.name = "renamed"
    return user.name
"""),
    ("primary key after a flush, no commit", """
def scenario(engine):
    with Session(engine) as session:
        user = User(name="ada")
        session.add(user)
        session.flush()
    return user.id
"""),
    ("no commit: detached, not expired", """
def scenario(engine):
    with Session(engine) as session:
        user = session.get(User, 1)
    return user.name
"""),
    ("a query of the same class after the commit loads it again", """
def scenario(engine):
    with Session(engine) as session:
        user = session.get(User, 1)
        session.commit()
        session.scalars(select(User)).all()
    return user.name
"""),
    ("deleted objects keep their values", """
def scenario(engine):
    with Session(engine) as session:
        user = session.get(User, 1)
        session.delete(user)
        session.commit()
    return user.id, user.name
"""),
    ("a session the caller keeps open", """
def rename(session: Session):
    user = session.get(User, 1)
    user.name = "renamed"
    session.commit()
    return user

def scenario(engine):
    with Session(engine) as session:
        return rename(session).name
"""),
]


@pytest.fixture
def engine():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all([User(id=1, name="ada"), Address(id=1, street="Main St")])
        session.commit()
    yield engine
    engine.dispose()


def run(body: str, engine) -> Optional[BaseException]:
    namespace: Dict[str, object] = {"User": User, "Address": Address, "UserOut": UserOut}
    exec(compile(HEADER + textwrap.dedent(body), "snippet.py", "exec"), namespace)
    try:
        namespace["scenario"](engine)  # type: ignore[operator]
    except Exception as error:
        return error
    return None


def flagged_rows(body: str) -> List[int]:
    offset = HEADER.count("\n")
    return [row - offset for row, _ in findings(HEADER + textwrap.dedent(body), "ORM104")]


@pytest.mark.parametrize("body, line", [(body, line) for _, body, line in FLAGGED],
                         ids=[name for name, _, _ in FLAGGED])
def test_flagged_form_raises_detached_instance_error(engine, body: str, line: int) -> None:
    assert flagged_rows(body) == [line]
    assert isinstance(run(body, engine), DetachedInstanceError)


@pytest.mark.parametrize("body", [body for _, body in FIXED + SILENT],
                         ids=[name for name, _ in FIXED + SILENT])
def test_fixes_and_silent_forms_read_their_values(engine, body: str) -> None:
    assert flagged_rows(body) == []
    assert run(body, engine) is None
