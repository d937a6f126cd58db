from sqlalchemy import Column, ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Database(Base):
    __tablename__ = "dbs"
    id = Column(Integer, primary_key=True)
    database_name = Column(String, nullable=False)


class Dataset(Base):
    __tablename__ = "datasets"
    id = Column(Integer, primary_key=True)
    database_id = Column(Integer, ForeignKey("dbs.id"), nullable=False)
    table_name = Column(String)


class Node(Base):
    __tablename__ = "nodes"
    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL for a root node.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("nodes.id"))
    depth: Mapped[int] = mapped_column(default=0)
    owner_id: Mapped[int] = mapped_column(ForeignKey("dbs.id"))
