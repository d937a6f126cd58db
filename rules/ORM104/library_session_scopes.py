"""fastapi-sqla's `open_session()` commits and closes its session when the block ends, with
SQLAlchemy's default `expire_on_commit=True` (issue 18: AlmaLinux albs-web-server 393c6f27,
whose pulp helpers returned rows loaded inside `with open_session(key="pulp")`)."""
from fastapi_sqla import open_session
from sqlalchemy import select

from models import User


def get_users(ids):
    with open_session() as session:
        users = session.execute(select(User).where(User.id.in_(ids))).scalars().all()
    return users  # expect: ORM104


def get_user_name(user_id):
    with open_session() as session:
        user = session.get(User, user_id)
    return user.name  # expect: ORM104


# Silent: what is needed is read inside the block.
def get_names(ids):
    with open_session() as session:
        users = session.execute(select(User).where(User.id.in_(ids))).scalars().all()
        return [user.name for user in users]
