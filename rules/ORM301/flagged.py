"""ORM301: rows fetched in full and then filtered in Python on their columns."""
from typing import List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Order, User


def first_match_returned(session: Session, email: str) -> Optional[User]:
    users = session.scalars(select(User)).all()
    for user in users:  # expect: ORM301
        if user.email == email:
            return user
    return None


def matches_appended(session: Session, min_age: int) -> List[User]:
    adults = []
    for user in session.scalars(select(User)):  # expect: ORM301
        if user.age >= min_age and user.deleted_at is None:
            adults.append(user)
    return adults


def matches_added_to_a_set(session: Session, roles: List[str]) -> set:
    found = set()
    for user in session.execute(select(User)).scalars().all():  # expect: ORM301
        if user.role in roles:
            found.add(user)
    return found


def matches_yielded(session: Session, country: str):
    for user in session.scalars(select(User)):  # expect: ORM301
        if user.country != country:
            continue
        yield user


def first_match_with_break(session: Session, name: str) -> Optional[User]:
    found = None
    for user in session.scalars(select(User)).all():  # expect: ORM301
        if user.name == name:
            found = user
            break
    return found


def one_line_body(session: Session) -> List[User]:
    banned = []
    for user in session.scalars(select(User)):  # expect: ORM301
        if user.status == "banned": banned.append(user)
    return banned


def list_comprehension(session: Session, ids: List[int]) -> List[User]:
    return [u for u in session.scalars(select(User)).all() if u.id in ids or u.manager_id is None]  # expect: ORM301


def projection_comprehension(session: Session) -> List[str]:
    return [u.email for u in session.scalars(select(User)) if u.newsletter == True]  # expect: ORM301


def set_and_dict_comprehensions(session: Session):
    emails = {u.email for u in session.scalars(select(User)) if u.verified is True}  # expect: ORM301
    by_id = {u.id: u for u in session.scalars(select(User)) if u.age < 18}  # expect: ORM301
    return emails, by_id


def next_of_a_generator(session: Session, token: str) -> Optional[User]:
    users = session.scalars(select(User)).all()
    return next((u for u in users if u.token == token), None)  # expect: ORM301


def filter_builtin(session: Session, since) -> List[Order]:
    return list(filter(lambda o: o.created_at > since, session.scalars(select(Order))))  # expect: ORM301


def rows_of_selected_columns(session: Session):
    rows = session.execute(select(User.id, User.name)).all()
    return [row for row in rows if row.name != "root"]  # expect: ORM301


def legacy_query(session: Session, email: str) -> List[User]:
    return [u for u in session.query(User).all() if u.email == email]  # expect: ORM301


def reassigned_to_the_filtered_list(session: Session) -> List[User]:
    users = session.scalars(select(User)).all()
    if not users:
        return []
    users = [u for u in users if u.active == True]  # expect: ORM301
    return users


def flowing_through_locals(session: Session, email: str) -> Optional[User]:
    stmt = select(User)
    result = session.scalars(stmt)
    for user in result:  # expect: ORM301
        if user.email == email:
            return user
    return None
