"""`session.execute()` of an INSERT, UPDATE or DELETE waits for the commit like an add does
(issue 18: litestar daadd3da, `delete_expired()` ran a bulk delete in a session block that
ended without a commit, so expired sessions were never deleted)."""
from sqlalchemy import create_engine, delete, insert, select, text, update
from sqlalchemy.orm import Session

from models import User

engine = create_engine("sqlite://")


def delete_expired(cutoff):
    with Session(engine) as session:
        session.execute(delete(User).where(User.created < cutoff))  # expect: ORM101


def rename_all(name):
    session = Session(engine)
    session.execute(update(User).values(name=name))  # expect: ORM101
    session.close()


def purge_raw():
    with Session(engine) as session:
        session.execute(text("DELETE FROM users WHERE active = 0"))  # expect: ORM101


# Silent: committed, inside begin(), or a statement that writes nothing.
def delete_expired_committed(cutoff):
    with Session(engine) as session:
        session.execute(delete(User).where(User.created < cutoff))
        session.commit()


def insert_in_transaction(rows):
    with Session(engine) as session, session.begin():
        session.execute(insert(User), rows)


def read_only():
    with Session(engine) as session:
        return session.execute(select(User)).all()


def raw_read():
    with Session(engine) as session:
        return session.execute(text("SELECT count(*) FROM users")).scalar()
