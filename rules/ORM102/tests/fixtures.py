"""ORM102 look-alikes, test code by directory: a helper module under `tests/` opens a
session and leaves it to the test run's teardown. No function here is named `test_*`: the
directory decides. Shape from flask-appbuilder `tests/fixtures/data_models.py`.
"""
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import User


def user_count(engine):
    session = Session(engine)
    return len(session.scalars(select(User)).all())


def load_first(engine):
    return Session(engine).scalars(select(User)).first()
