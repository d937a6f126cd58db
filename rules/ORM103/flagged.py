"""ORM103: a commit on every iteration of a loop that adds one object per iteration."""
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

from models import Tag, User

engine = create_engine("sqlite://")
SessionLocal = sessionmaker(engine)
db = SQLAlchemy()


def import_users(session: Session, names):
    for name in names:
        session.add(User(name=name))
        session.commit()  # expect: ORM103


def merge_each(rows):
    with SessionLocal() as session:
        for row in rows:
            session.merge(row)
            session.commit()  # expect: ORM103


def add_under_a_condition(session: Session, names):
    for name in names:
        if name:
            session.add(User(name=name))
        session.commit()  # expect: ORM103


def flask_sqlalchemy(tags):
    for tag in tags:
        db.session.add(Tag(name=tag))
        db.session.commit()  # expect: ORM103


def commit_before_the_add(session: Session, names):
    for name in names:
        session.commit()  # expect: ORM103
        session.add(User(name=name))


class Loader:
    def __init__(self, session: Session) -> None:
        self.session = session

    def load(self, names):
        for name in names:
            user = User(name=name)
            self.session.add(user)
            self.session.commit()  # expect: ORM103
