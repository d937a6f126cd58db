"""The correct versions of every mistake in accounts.py, reports.py, orders.py and imports.py.

session-lint must report nothing here: each function is what the finding's hint leads to.
"""
import logging
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from sqlalchemy import func, select

from .db import SessionLocal
from .models import Address, Order, User

log = logging.getLogger(__name__)


def register(name: str, email: str) -> None:
    # The begin() block commits when it ends without an error.
    with SessionLocal.begin() as session:
        session.add(User(name=name, addresses=[Address(email_address=email)]))


def invite(name: str, email: str, send_mail: bool) -> None:
    with SessionLocal() as session:
        session.add(User(name=name))
        session.commit()
    if send_mail:
        print(f"welcome mail to {email}")


def rename(user_id: int, new_name: str) -> None:
    with SessionLocal() as session:
        user = session.get(User, user_id)
        if user is None:
            raise LookupError(f"no user {user_id}")
        user.name = new_name
        session.commit()


def primary_email(name: str) -> Optional[str]:
    with SessionLocal() as session:
        stmt = select(Address.email_address).join(Address.user).where(User.name == name).order_by(Address.id)
        return session.scalars(stmt).first()


def users_with_fullname() -> List[User]:
    with SessionLocal() as session:
        return list(session.scalars(select(User).where(User.fullname.is_not(None))))


def user_count() -> int:
    with SessionLocal() as session:
        return session.execute(select(func.count()).select_from(User)).scalar_one()


def biggest_orders() -> List[Order]:
    with SessionLocal() as session:
        stmt = select(Order).order_by(Order.total_cents.desc()).limit(5)
        return list(session.scalars(stmt))


def emails_by_user(user_ids: Sequence[int]) -> Dict[int, List[str]]:
    emails: Dict[int, List[str]] = {user_id: [] for user_id in user_ids}
    with SessionLocal() as session:
        stmt = select(Address).where(Address.user_id.in_(user_ids))
        for address in session.scalars(stmt):
            emails[address.user_id].append(address.email_address)
    return emails


def import_orders(rows: Iterable[Tuple[int, int]]) -> None:
    with SessionLocal() as session:
        for user_id, total_cents in rows:
            session.add(Order(user_id=user_id, total_cents=total_cents))
            try:
                session.commit()
            except Exception:
                # A failed flush leaves the transaction inactive until it is rolled back.
                session.rollback()
                log.exception("cannot import order of user %s", user_id)


def open_orders_of(user_id: int) -> List[Order]:
    with SessionLocal() as session:
        stmt = select(Order).where(Order.user_id == user_id, Order.shipped_at.is_(None))
        return list(session.scalars(stmt))


def orders_of(user_ids: Sequence[int]) -> List[Order]:
    with SessionLocal() as session:
        return list(session.scalars(select(Order).where(Order.user_id.in_(user_ids))))


def import_users(names: List[str]) -> None:
    # One transaction for the whole batch.
    with SessionLocal.begin() as session:
        session.add_all([User(name=name) for name in names])


def count_users() -> int:
    # The with-block closes the session, and the database does the counting.
    with SessionLocal() as session:
        return session.scalar(select(func.count()).select_from(User)) or 0


def create_user(name: str) -> int:
    # Read what the caller needs before the session ends (flush() assigns the id).
    with SessionLocal.begin() as session:
        user = User(name=name)
        session.add(user)
        session.flush()
        return user.id
