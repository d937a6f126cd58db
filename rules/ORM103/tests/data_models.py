"""ORM103 look-alikes, test code by directory: a fixture module under `tests/` inserts its
rows with one commit each. No function here is named `test_*`: the directory decides.
Shape from flask-appbuilder `tests/fixtures/data_models.py`.
"""
from sqlalchemy.orm import Session

from models import User


def insert_users(session: Session, count: int) -> None:
    for index in range(count):
        session.add(User(name=f"user {index}"))
        session.commit()
