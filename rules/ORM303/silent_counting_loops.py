"""ORM303 look-alikes of counting loops: bodies that do more than count, keys and conditions
SQL cannot compute alike, counters carried in from elsewhere, and rows that serve more."""
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Order


def counted_and_returned(session: Session):
    n = 0
    orders = session.scalars(select(Order)).all()
    for order in orders:
        n += 1
    return n, orders


def counted_and_printed(session: Session) -> int:
    n = 0
    for order in session.scalars(select(Order)):
        n += 1
        print(order.id)
    return n


def python_condition(session: Session) -> int:
    n = 0
    for order in session.scalars(select(Order)):
        if is_late(order):
            n += 1
    return n


def computed_key(session: Session) -> Counter:
    counts = Counter()
    for order in session.scalars(select(Order)):
        counts[order.created.date()] += 1
    return counts


def carried_counter(session: Session, n: int) -> int:
    for order in session.scalars(select(Order)):
        n += 1
    return n


def prefilled_dict(session: Session) -> dict:
    counts = {"open": 0}
    for order in session.scalars(select(Order)):
        counts[order.status] = counts.get(order.status, 0) + 1
    return counts


def per_whole_entity(session: Session) -> dict:
    counts = {}
    for order in session.scalars(select(Order)):
        counts[order] = counts.get(order, 0) + 1
    return counts


def already_limited(session: Session) -> int:
    n = 0
    for order in session.scalars(select(Order).limit(10)):
        if order.status == "open":
            n += 1
    return n


def aggregate_rows(session: Session) -> int:
    total = 0
    for row in session.execute(select(Order.status, func.count()).group_by(Order.status)):
        total += row[1]
    return total


def counter_read_in_the_loop(session: Session) -> int:
    n = 0
    for order in session.scalars(select(Order)):
        if n > 100:
            continue
        n += 1
    return n


def is_late(order: Order) -> bool:
    return False


def rebound_rows_returned(session: Session, user_id: int):
    solves = session.query(Order).filter(Order.customer_id == user_id)
    solves = solves.all()
    n = 0
    for solve in solves:
        if solve.amount > 10:
            n += 1
    return n, solves
