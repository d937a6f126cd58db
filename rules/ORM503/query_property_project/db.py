"""Plain SQLAlchemy with Flask-SQLAlchemy's habit (issue 18: securedrop 97b8cd54,
opencenter f8dfe807): `Base.query = db_session.query_property()` makes `Model.query` of
every subclass a Query, in every module that imports the models."""
from sqlalchemy import Boolean, Column, Integer, create_engine
from sqlalchemy.orm import declarative_base, scoped_session, sessionmaker

db_session = scoped_session(sessionmaker(bind=create_engine("sqlite://")))
Base = declarative_base()
Base.query = db_session.query_property()


class Submission(Base):
    __tablename__ = "submissions"
    id = Column(Integer, primary_key=True)
    source_id = Column(Integer)
    downloaded = Column(Boolean)


class Plain:
    """Not mapped: its `query` is an ordinary attribute."""

    query = None
