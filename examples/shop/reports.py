"""Reports for the back office."""
from typing import Dict, List, Sequence

from sqlalchemy import select

from .db import SessionLocal
from .models import Address, Order, User


def users_with_fullname() -> List[User]:
    with SessionLocal() as session:
        users = session.scalars(select(User)).all()
        return [u for u in users if u.fullname is not None]  # mistake: loads every user, filters in Python


def unshipped_orders() -> List[Order]:
    with SessionLocal() as session:
        pending = []
        for order in session.scalars(select(Order)).all():
            if order.shipped_at is None:  # mistake: filters every order in Python
                pending.append(order)
        return pending


def user_count() -> int:
    with SessionLocal() as session:
        return len(session.scalars(select(User)).all())  # mistake: loads every row just to count them


def biggest_orders() -> List[Order]:
    with SessionLocal() as session:
        orders = session.scalars(select(Order)).all()
        return sorted(orders, key=lambda o: o.total_cents, reverse=True)[:5]  # mistake: sorts and slices in Python


def emails_by_user(user_ids: Sequence[int]) -> Dict[int, List[str]]:
    with SessionLocal() as session:
        emails = {}
        for user_id in user_ids:
            stmt = select(Address).where(Address.user_id == user_id)
            addresses = session.scalars(stmt).all()  # mistake: one query per user id (N+1)
            emails[user_id] = [a.email_address for a in addresses]
        return emails
