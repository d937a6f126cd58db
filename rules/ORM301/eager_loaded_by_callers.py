"""A relationship collection searched in Python on an object the function is handed, in a
module that loads that relationship with its objects (mlflow `_is_sql_trace_db_backed()`:
every caller's query has `.options(selectinload(SqlTraceInfo.tags))`). The rows came with the
object; a WHERE clause would cost a query of its own."""
from sqlalchemy import Column, ForeignKey, Integer, String, select
from sqlalchemy.orm import Session, declarative_base, relationship, selectinload

Base = declarative_base()


class Trace(Base):
    __tablename__ = "trace"
    id = Column(Integer, primary_key=True)
    tags = relationship("Tag")
    spans = relationship("Span")


class Tag(Base):
    __tablename__ = "tag"
    id = Column(Integer, primary_key=True)
    key = Column(String)
    value = Column(String)
    trace_id = Column(Integer, ForeignKey(Trace.id))


class Span(Base):
    __tablename__ = "span"
    id = Column(Integer, primary_key=True)
    name = Column(String)
    trace_id = Column(Integer, ForeignKey(Trace.id))


def load_trace(session: Session, trace_id: int):
    return session.scalars(select(Trace).options(selectinload(Trace.tags)).where(Trace.id == trace_id)).one()


# Silent: a private helper of a module that loads `Trace.tags` with the traces it hands out.
def _spans_location(trace: Trace):
    return next((tag.value for tag in trace.tags if tag.key == "spans_location"), None)


# Flagged: nothing in the module loads `Trace.spans` with the trace.
def _root_span(trace: Trace):
    return next((span for span in trace.spans if span.name == "root"), None)  # expect: ORM301


# Flagged: a public function's callers are anyone's (and ihatemoney's `Bill.pay_each()` on
# `self` was a real bug although the module had `subqueryload(Bill.owers)`).
def spans_location(trace: Trace):
    return next((tag.value for tag in trace.tags if tag.key == "spans_location"), None)  # expect: ORM301


# Flagged: a trace loaded here, without the option, loads every tag to find one.
def location_of(session: Session, trace_id: int):
    trace = session.get(Trace, trace_id)
    return next((tag.value for tag in trace.tags if tag.key == "spans_location"), None)  # expect: ORM301
