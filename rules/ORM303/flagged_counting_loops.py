"""ORM303: loops over query rows whose body only counts or adds up, in total or per key."""
from collections import Counter, defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Host, Order


def operating_systems(session: Session) -> list:
    # RedHatInsights-insights-host-inventory-7cf64f26 (there the query comes from a helper)
    query_results = session.execute(select(Host.os_name, Host.os_major, Host.os_minor)).all()
    os_dict = {}
    for result in query_results:  # expect: ORM303
        if not result or None in result:
            continue
        operating_system = ".".join(result)
        if operating_system not in os_dict:
            os_dict[operating_system] = 1
        else:
            os_dict[operating_system] += 1
    return sorted(os_dict.items())


def open_orders(session: Session) -> int:
    n = 0
    for order in session.scalars(select(Order)).all():  # expect: ORM303
        if order.status == "open":
            n += 1
    return n


def paid_total(session: Session, customer_id: int) -> float:
    total = 0
    for order in session.scalars(select(Order).where(Order.customer_id == customer_id)):  # expect: ORM303
        if order.paid_at is None:
            continue
        total += order.amount
    return total


def per_status_defaultdict(session: Session) -> dict:
    counts = defaultdict(int)
    for order in session.scalars(select(Order)):  # expect: ORM303
        counts[order.status] += 1
    return counts


def per_status_counter(session: Session) -> Counter:
    counts = Counter()
    for order in session.query(Order).all():  # expect: ORM303
        counts[(order.status, order.country)] += 1
    return counts


def per_status_get(session: Session) -> dict:
    counts = {}
    for order in session.scalars(select(Order)):  # expect: ORM303
        key = order.status
        counts[key] = counts.get(key, 0) + 1
    return counts


def high_value_solves(session: Session, user_id: int) -> int:
    # issue 18: the query and its rows share one name (`solves = solves.all()`)
    solves = session.query(Order).filter(Order.customer_id == user_id)
    solves = solves.all()
    n = 0
    for solve in solves:  # expect: ORM303
        if solve.amount > 10:
            n += 1
    return n
