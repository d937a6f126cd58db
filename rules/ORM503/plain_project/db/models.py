from sqlalchemy import Column, Integer, String

from db.database import Base


class Adventures(Base):
    __tablename__ = "adventures"
    id = Column(Integer, primary_key=True)
    backend = Column(String(40))


class Nodes(Base):
    __tablename__ = "nodes"
    id = Column(Integer, primary_key=True)
    backend = Column(String(40))
