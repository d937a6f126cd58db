"""ORM304: one query per item of a loop, picking rows by the item."""
from typing import Dict, List

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Post, Tag, User


def get_per_id(session: Session, ids: List[int]) -> List[User]:
    return [session.get(User, i) for i in ids]  # expect: ORM304


def get_in_a_loop(session: Session, ids: List[int]) -> List[User]:
    users = []
    for user_id in ids:
        users.append(session.get(User, user_id))  # expect: ORM304
    return users


def select_per_row_of_another_query(session: Session) -> Dict[int, List[Post]]:
    result = {}
    for user in session.scalars(select(User)):
        result[user.id] = session.scalars(select(Post).where(Post.user_id == user.id)).all()  # expect: ORM304
    return result


def statement_built_in_a_local(session: Session, names: List[str]) -> List[Tag]:
    tags = []
    for name in names:
        stmt = select(Tag).where(Tag.name == name)
        tags.append(session.scalars(stmt).one())  # expect: ORM304
    return tags


def value_derived_in_the_loop(session: Session, payload: List[dict]) -> None:
    for item in payload:
        user_id = int(item["user_id"])
        user = session.scalar(select(User).where(User.id == user_id))  # expect: ORM304
        user.seen = True


def legacy_query(session: Session, emails: List[str]) -> List[User]:
    return [session.query(User).filter_by(email=email).first() for email in emails]  # expect: ORM304


def legacy_count(session: Session, users: List[User]) -> Dict[int, int]:
    return {u.id: session.query(Post).filter(Post.author_id == u.id).count() for u in users}  # expect: ORM304


def dict_items(session: Session, wanted: Dict[str, int]) -> list:
    found = []
    for name, limit in wanted.items():
        found.append(session.scalars(select(Tag).where(Tag.name == name)).first())  # expect: ORM304
    return found


def tuple_target(session: Session, pairs) -> list:
    return [session.get(User, user_id) for user_id, _ in pairs]  # expect: ORM304


def like_comparison(session: Session, prefixes: List[str]) -> list:
    return [session.scalars(select(User).where(User.name.like(p))).all() for p in prefixes]  # expect: ORM304


def nested_loops_feed_the_inner_query(session: Session, teams) -> list:
    found = []
    for team in teams:
        for role in ("admin", "member"):
            found.append(session.scalars(  # expect: ORM304
                select(User).where(User.team_id == team.id, User.role == role)
            ).all())
    return found


def session_opened_before_the_loop(run_ids, SessionLocal):
    # one session for every item: the queries can be merged
    with SessionLocal() as session:
        for run_id in run_ids:
            yield session.execute(select(Post).where(Post.user_id == run_id)).all()  # expect: ORM304


# a module-level `revision` alone does not make an Alembic script (no `down_revision`/`upgrade()`)
revision = "abc"
