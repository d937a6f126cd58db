"""Order import and lookups."""
import logging
from typing import Iterable, List, Sequence, Tuple

from sqlalchemy import select

from .db import SessionLocal
from .models import Order, User

log = logging.getLogger(__name__)


def import_orders(rows: Iterable[Tuple[int, int]]) -> None:
    with SessionLocal() as session:
        for user_id, total_cents in rows:
            session.add(Order(user_id=user_id, total_cents=total_cents))
            try:
                session.commit()
            except Exception:  # mistake: no rollback, so every later commit of this session fails too
                log.exception("cannot import order of user %s", user_id)


def open_orders_of(user_id: int) -> List[Order]:
    with SessionLocal() as session:
        stmt = select(Order).where(
            Order.user_id == user_id and Order.shipped_at.is_(None)  # mistake: Python `and` drops a condition
        )
        return list(session.scalars(stmt))


def users_without_fullname() -> List[User]:
    with SessionLocal() as session:
        stmt = select(User).where(User.fullname is None)  # mistake: `is None` is evaluated by Python, always False
        return list(session.scalars(stmt))


def orders_of(user_ids: Sequence[int]) -> List[Order]:
    with SessionLocal() as session:
        stmt = select(Order).where(Order.user_id in user_ids)  # mistake: Python `in` instead of `.in_()`
        return list(session.scalars(stmt))
