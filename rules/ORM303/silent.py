"""ORM303 look-alikes: lists that are used anyway, small or single-row results, elements
SQL does not compute, and iterables that are not query rows."""
from typing import List

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from models import Order, User


def list_shown_and_counted(session: Session):
    users = session.scalars(select(User)).all()
    return {"users": [u.name for u in users], "total": len(users)}


def loop_and_count(session: Session) -> int:
    users = session.scalars(select(User)).all()
    for user in users:
        print(user.name)
    return len(users)


def sum_and_list(session: Session):
    orders = session.scalars(select(Order)).all()
    return orders, sum(o.total for o in orders)


def already_limited(session: Session) -> int:
    return len(session.scalars(select(User).limit(10)).all())


def count_statement(session: Session) -> int:
    return len(session.execute(select(func.count(User.id))).all())


def grouped(session: Session) -> int:
    return len(session.execute(select(User.team_id, func.count()).group_by(User.team_id)).all())


def raw_sql(session: Session) -> int:
    return len(session.execute(text("SELECT * FROM users")).fetchall())


def python_value_per_row(session: Session) -> int:
    return sum(len(u.name) for u in session.scalars(select(User)))


def function_call_element(session: Session) -> float:
    return max(score(u) for u in session.scalars(select(User)))


def truthiness_test(session: Session) -> bool:
    return any(u.is_admin for u in session.scalars(select(User)))


def sum_with_a_start(session: Session):
    return sum((o.total for o in session.scalars(select(Order))), 100)


def computed_key(session: Session) -> User:
    return max(session.scalars(select(User)), key=lambda u: len(u.name))


def plain_list(orders: List[Order]) -> int:
    return sum(o.total for o in orders) + len(orders)


def unknown_selection(session: Session, stmt) -> int:
    return sum(r.total for r in session.scalars(stmt))


def fallback(session: Session) -> int:
    try:
        return session.scalar(select(func.count()).select_from(User))
    except Exception:
        return len(session.scalars(select(User)).all())


def score(user: User) -> float:
    return 1.0
