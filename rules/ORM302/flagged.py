"""ORM302: rows fetched in full and then sorted, sliced or indexed in Python."""
from operator import attrgetter
from typing import List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import User


def sorted_by_a_column(session: Session) -> List[User]:
    users = session.scalars(select(User)).all()
    return sorted(users, key=lambda u: u.created, reverse=True)  # expect: ORM302


def sorted_then_sliced(session: Session) -> List[User]:
    return sorted(session.scalars(select(User)), key=lambda u: (u.last, u.first))[:10]  # expect: ORM302


def sorted_with_attrgetter(session: Session) -> List[User]:
    return sorted(session.query(User).all(), key=attrgetter("name"))  # expect: ORM302


def sorted_in_place(session: Session) -> List[User]:
    users = session.scalars(select(User)).all()
    users.sort(key=lambda u: u.name)  # expect: ORM302
    return users


def first_of_an_ordered_query(session: Session) -> User:
    return session.scalars(select(User).order_by(User.created.desc())).all()[0]  # expect: ORM302


def first_of_an_unordered_query(session: Session, name: str) -> User:
    return session.query(User).filter(User.name == name).all()[0]  # expect: ORM302


def first_after_an_emptiness_check(session: Session) -> Optional[User]:
    users = session.scalars(select(User).order_by(User.created)).all()
    if not users:
        return None
    return users[0]  # expect: ORM302


def first_after_a_len_check(session: Session) -> Optional[User]:
    users = session.scalars(select(User)).all()
    if len(users) == 0:
        return None
    return users[0]  # expect: ORM302


def last_of_an_ordered_query(session: Session) -> User:
    return session.scalars(select(User).order_by(User.created)).all()[-1]  # expect: ORM302


def head_slice(session: Session, page_size: int) -> List[User]:
    return session.scalars(select(User)).all()[:page_size]  # expect: ORM302


def middle_slice(session: Session) -> List[User]:
    users = session.scalars(select(User).order_by(User.id)).all()
    return users[20:40]  # expect: ORM302


def selected_columns(session: Session):
    rows = session.execute(select(User.id, User.created)).all()
    return sorted(rows, key=lambda r: r.created)  # expect: ORM302


def first_page_beside_a_total(session: Session, user_id: int):
    # PowerDNS-Admin-PowerDNS-Admin-dc69f000: a count and a page from one full load
    history = []
    history = session.scalars(select(User).where(User.team_id == user_id).order_by(User.created)).all()
    total = len(history)
    history = history[:4]  # expect: ORM302
    return history, total
