"""A Pyramid-style models module whose scoped session registry the views reach through
`from models import *` (issue 18: chez-betty 49bdc44e)."""
from sqlalchemy import Column, Integer, String
from sqlalchemy.orm import declarative_base, scoped_session, sessionmaker

DBSession = scoped_session(sessionmaker())
Base = declarative_base()


class Item(Base):
    __tablename__ = "items"
    id = Column(Integer, primary_key=True)
    name = Column(String)
