"""ORM303: rows fetched in full only to count them or reduce them to one value."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Member, Order, User


def count_of_all(session: Session) -> int:
    return len(session.scalars(select(User)).all())  # expect: ORM303


def count_of_a_legacy_query(session: Session, group_id: int) -> int:
    return len(session.query(Member).filter(Member.group_id == group_id).all())  # expect: ORM303


def count_through_a_local(session: Session) -> int:
    users = session.scalars(select(User)).all()
    if len(users) > 100:  # expect: ORM303
        print("many users")
    return len(users)


def existence_by_length(session: Session, group_id: int, user_id: int) -> bool:
    query = session.query(Member).filter(Member.group_id == group_id, Member.user_id == user_id)
    return len(query.all()) != 0  # expect: ORM303


def count_of_matching(session: Session) -> int:
    return len([u for u in session.scalars(select(User)).all() if u.age >= 18])  # expect: ORM303


def count_with_sum_of_ones(session: Session) -> int:
    return sum(1 for u in session.scalars(select(User)) if u.country == "NZ")  # expect: ORM303


def sum_of_a_column(session: Session, customer_id: int):
    orders = session.scalars(select(Order).where(Order.customer_id == customer_id)).all()
    return sum(o.total for o in orders)  # expect: ORM303


def sum_of_arithmetic(session: Session):
    return sum(o.price * o.quantity for o in session.scalars(select(Order)) if o.paid == True)  # expect: ORM303


def max_and_min(session: Session):
    latest = max(u.created for u in session.scalars(select(User)))  # expect: ORM303
    earliest = min([u.created for u in session.scalars(select(User))])  # expect: ORM303
    return latest, earliest


def max_by_key(session: Session) -> User:
    return max(session.scalars(select(User)).all(), key=lambda u: u.score)  # expect: ORM303


def any_match(session: Session, email: str) -> bool:
    return any(u.email == email for u in session.scalars(select(User)))  # expect: ORM303
