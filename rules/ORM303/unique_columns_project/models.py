from sqlalchemy import Column, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


class TableColumn(Base):
    __tablename__ = "table_columns"
    __table_args__ = (UniqueConstraint("table_id", "column_name"),)
    id = Column(Integer, primary_key=True)
    table_id = Column(Integer, ForeignKey("tables.id"))
    column_name = Column(String(255))
    type = Column(String(32))


class Metric(Base):
    __tablename__ = "metrics"
    __table_args__ = (Index("ix_metric_key", "table_id", "metric_name", unique=True), {"sqlite_autoincrement": True})
    id = Column(Integer, primary_key=True)
    table_id = Column(Integer)
    metric_name = Column(String(255))
    verbose_name = Column(String(255))


class Tag(Base):
    __tablename__ = "tags"
    id = Column(Integer, primary_key=True)
    name = Column(String(250), unique=True)
    kind = Column(String(32))
