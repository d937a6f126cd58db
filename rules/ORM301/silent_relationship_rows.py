"""ORM301 look-alikes with relationships: building an object from most of a relationship's
rows (callers often load them with the parent), eager relationships, and searches on a
relationship whose shape the code does not state."""
from sqlalchemy import Column, ForeignKey, Integer, String
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()


class Trace(Base):
    __tablename__ = "trace"
    id = Column(Integer, primary_key=True)
    name = Column(String)
    labels = relationship("Label", lazy="selectin")
    others = relationship("Other")

    def to_entity(self) -> dict:
        # mlflow's `SqlTraceInfo.to_mlflow_entity()`: callers `selectinload()` the tags
        return {t.key: t.value for t in self.tags if t.key != "name"}

    def label_named(self, key: str):
        for label in self.labels:
            if label.key == key:
                return label
        return None

    def other_named(self, key: str):
        for other in self.others:
            if other.key == key:
                return other
        return None


class Tag(Base):
    __tablename__ = "tag"
    key = Column(String, primary_key=True)
    value = Column(String)
    trace_id = Column(Integer, ForeignKey(Trace.id), primary_key=True)
    trace = relationship(Trace, backref="tags")


class Label(Base):
    __tablename__ = "label"
    key = Column(String, primary_key=True)
    trace_id = Column(Integer, ForeignKey(Trace.id), primary_key=True)
