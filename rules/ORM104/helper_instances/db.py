"""Issue 18 (Marzban d667da3f): a wrapper class as the session scope, and a CRUD module whose
functions commit the session they are given and return the object."""
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

engine = create_engine("sqlite://")
SessionLocal = sessionmaker(bind=engine)


class GetDB:  # `with GetDB() as db:` makes a session and closes it at the block's end
    def __init__(self):
        self.db = SessionLocal()

    def __enter__(self):
        return self.db

    def __exit__(self, exc_type, exc_value, traceback):
        self.db.close()


class BorrowDB:  # hands out a session it does not close: not the end of anything
    def __init__(self, session):
        self.db = session

    def __enter__(self):
        return self.db

    def __exit__(self, exc_type, exc_value, traceback):
        pass
