"""ORM302 look-alikes: small results, deliberate orders, keys SQL sorts differently, lists
that serve something else, and values that are not query rows."""
from typing import List

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from models import User


def already_limited(session: Session) -> List[User]:
    users = session.scalars(select(User).limit(50)).all()
    return sorted(users, key=lambda u: u.name)


def already_ordered(session: Session) -> List[User]:
    users = session.scalars(select(User).order_by(User.team_id)).all()
    return sorted(users, key=lambda u: u.name)


def no_key(session: Session) -> List[str]:
    return sorted(session.scalars(select(User.name)).all())


def computed_key(session: Session) -> List[User]:
    return sorted(session.scalars(select(User)), key=lambda u: u.name.lower())


def function_key(session: Session) -> List[User]:
    return sorted(session.scalars(select(User)), key=score)


def related_attribute_key(session: Session) -> List[User]:
    return sorted(session.scalars(select(User)), key=lambda u: u.team.name)


def runtime_reverse(session: Session, descending: bool) -> List[User]:
    return sorted(session.scalars(select(User)), key=lambda u: u.name, reverse=descending)


def list_used_twice(session: Session):
    users = session.scalars(select(User)).all()
    return users[0], users


def counted_before_indexing(session: Session) -> User:
    users = session.scalars(select(User)).all()
    if len(users) > 1:
        raise ValueError("expected one user")
    return users[0]


def two_orders_of_the_same_rows(session: Session):
    users = session.scalars(select(User)).all()
    return sorted(users, key=lambda u: u.name), sorted(users, key=lambda u: u.created)


def read_before_sorting_in_place(session: Session) -> List[User]:
    users = session.scalars(select(User)).all()
    print(users)
    users.sort(key=lambda u: u.name)
    return users


def other_index(session: Session) -> User:
    return session.scalars(select(User)).all()[3]


def last_of_an_unordered_query(session: Session) -> User:
    return session.scalars(select(User)).all()[-1]


def tail_slice(session: Session) -> List[User]:
    return session.scalars(select(User)).all()[1:]


def aggregate_statement(session: Session):
    return session.execute(select(func.count(User.id))).all()[0]


def raw_sql(session: Session):
    return session.execute(text("SELECT count(*) FROM users")).fetchall()[0]


def grouped_statement(session: Session):
    return session.execute(select(User.team_id, func.count()).group_by(User.team_id)).all()[0]


def legacy_query_slices_in_sql(session: Session) -> List[User]:
    return session.query(User)[0:10]


def assignment_target(session: Session, user: User) -> None:
    users = session.scalars(select(User)).all()
    users[0] = user


def plain_list(users: List[User]) -> List[User]:
    return sorted(users, key=lambda u: u.name)[:10]


def score(user: User) -> float:
    return 0.0


def page_beside_a_tested_count(session: Session, user_id: int) -> List[User]:
    users = session.scalars(select(User).where(User.team_id == user_id)).all()
    if len(users) > 10:
        raise ValueError("too many users")
    return users[:4]
