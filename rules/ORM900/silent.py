"""Suppressions that suppress a finding, and comments this rule leaves alone."""
from sqlalchemy.orm import Session

from app.models import User


def email(session: Session, user_id: int) -> str:
    return session.get(User, user_id).email  # noqa: ORM201


def email_on_a_later_row(session: Session, user_id: int) -> str:
    return session.get(
        User, user_id
    ).email  # noqa: ORM201  (any row of the statement)


def prefix(session: Session, user_id: int) -> str:
    return session.get(User, user_id).email  # noqa: ORM2


def other_linters(session: Session) -> None:
    very_long_name = 1  # noqa: E501
    other = 2  # noqa
    third = 3  # noqa: ORM304  (opt-in rule, not run here: cannot be judged)
    return very_long_name + other + third
