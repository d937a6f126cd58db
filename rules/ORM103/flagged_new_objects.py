"""Near misses of `silent_loaded_instance.py`: the loop inserts a new object per item, even
when it also reads one, so the commit per item is reported."""
from sqlalchemy.orm import Session

from models import Order, User


def order_for_each(session: Session, user_ids) -> None:
    for user_id in user_ids:
        user = session.get(User, user_id)
        session.add(Order(user=user))
        session.commit()  # expect: ORM103


def store_each(session: Session, new_users) -> None:
    for user in new_users:
        session.add(user)
        session.commit()  # expect: ORM103


def rebound_to_a_new_object(session: Session, names) -> None:
    for name in names:
        user = session.query(User).filter_by(name=name).first()
        if user is None:
            user = User(name=name)
        session.add(user)
        session.commit()  # expect: ORM103
