"""Near misses of `silent_one_row_by_id.py`: conditions on `id` that can keep many rows."""
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models import Address, User


def id_compared_with_another_column(session: Session) -> Address:
    # an implicit join: one row per matching pair
    return session.scalars(select(Address).where(User.id == Address.user_id)).all()[0]  # expect: ORM302


def id_under_or(session: Session, user_id: int, name: str) -> User:
    return session.scalars(select(User).where(or_(User.id == user_id, User.name == name))).all()[0]  # expect: ORM302


def id_not_equal(session: Session, user_id: int) -> User:
    return session.scalars(select(User).where(User.id != user_id)).all()[0]  # expect: ORM302


def a_foreign_key_is_not_the_identity(session: Session, user_id: int) -> Address:
    return session.query(Address).filter_by(user_id=user_id).all()[0]  # expect: ORM302


def first_of_an_id_list(session: Session, ids: list) -> User:
    # one row per id: fetching them all for the first is still wasted (ORM303 alone lets
    # this bound pass, for counting)
    return session.scalars(select(User).where(User.id.in_(ids))).all()[0]  # expect: ORM302
