"""ORM304 look-alikes: fixed small loops, batches, paging, per-table loops, writes, and
queries that do not depend on the loop."""
from typing import List

from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from models import Post, Role, Tag, User

DEFAULT_ROLES = ("admin", "editor", "viewer")
MODELS = [(User, "team_id"), (Post, "team_id")]


def fixed_literals(session: Session) -> list:
    return [session.scalars(select(Role).where(Role.name == name)).first() for name in ("admin", "user")]


def module_constant(session: Session) -> None:
    for name in DEFAULT_ROLES:
        if session.scalars(select(Role).where(Role.name == name)).first() is None:
            session.add(Role(name=name))


def small_range(session: Session) -> list:
    return [session.get(User, i) for i in range(3)]


def chunks_with_in(session: Session, ids: List[int]) -> list:
    found = []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        found.extend(session.scalars(select(User).where(User.id.in_(chunk))).all())
    return found


def paging(session: Session) -> None:
    for page in range(100):
        rows = session.scalars(select(User).order_by(User.id).offset(page * 100).limit(100)).all()
        print(rows)


def one_table_per_turn(session: Session, team_id: int) -> dict:
    counts = {}
    for model, column in MODELS:
        counts[model] = session.scalars(select(model).where(getattr(model, column) == team_id)).all()
    return counts


def core_table_per_turn(connection, tables) -> dict:
    counts = {}
    for table in tables:
        counts[table.name] = connection.execute(select(table.c.id).where(table.c.deleted == True)).all()
    return counts


def columns_chosen_per_turn(session: Session, data: dict, constraints) -> None:
    for constraint in constraints:
        params = {key: data.get(key) for key in constraint}
        session.query(User).filter_by(**params).first()


def latest_per_item(session: Session, keys: List[str]) -> list:
    return [
        session.scalars(select(Post).where(Post.key == key).order_by(Post.created.desc()).limit(1)).first()
        for key in keys
    ]


def writes_per_row(session: Session, ids: List[int]) -> None:
    for i in ids:
        session.execute(update(User).where(User.id == i).values(active=False))
        session.execute(delete(Post).where(Post.user_id == i))


def raw_sql_per_row(session: Session, ids: List[int]) -> None:
    for i in ids:
        session.execute(text("SELECT * FROM users WHERE id = :id"), {"id": i})


def query_does_not_use_the_item(session: Session, items: list) -> None:
    for item in items:
        settings = session.get(Role, 1)
        item.apply(settings)


def query_before_the_loop(session: Session, ids: List[int]) -> list:
    users = session.scalars(select(User).where(User.id.in_(ids))).all()
    return [u.name for u in users]


def helper_builds_the_condition(session: Session, chunks) -> list:
    return [session.scalars(select(Tag).where(condition_for(chunk))).all() for chunk in chunks]


def not_a_session(cache: dict, ids: List[int]) -> list:
    return [cache.get(User, i) for i in ids]


def defined_in_the_loop_but_not_run(session: Session, ids: List[int]) -> list:
    loaders = []
    for i in ids:
        loaders.append(lambda: session.get(User, i))
    return loaders


def retry_after_a_failed_batch(session: Session, ids: List[int]) -> list:
    try:
        return session.scalars(select(User).where(User.id.in_(ids))).all()
    except Exception:
        return [session.get(User, i) for i in ids]


def condition_for(chunk):
    return True
