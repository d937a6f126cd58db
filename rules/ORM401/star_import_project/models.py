"""A Pyramid-style models module whose scoped session registry the views reach through
`from models import *`, wrapped by a function that adds listeners and hands the registry
back (issue 18: chez-betty 49bdc44e, `versioned_session()` of SQLAlchemy's versioning
example)."""
from sqlalchemy import Column, Integer, String
from sqlalchemy.orm import declarative_base, scoped_session, sessionmaker

def versioned_session(session):
    # listeners for history tables would be added here
    return session


DBSession = versioned_session(scoped_session(sessionmaker()))
Base = declarative_base()


class Item(Base):
    __tablename__ = "items"
    id = Column(Integer, primary_key=True)
    name = Column(String)
