"""ORM304 look-alikes of lazy loads on rows of a known class: a loop variable rebound in the
body, a tuple element whose query loads the relationship, a handful of rows written out, a
lookup that does not depend on the loop's item or loads the relationship itself, the rows
of one parent (a many-to-one relationship then loads one row at most), and a relationship
used as a query (`WriteOnlyMapped`, `lazy="dynamic"`)."""
from sqlalchemy import Column, ForeignKey, Integer, String, select
from sqlalchemy.orm import Session, WriteOnlyMapped, declarative_base, relationship, selectinload

Base = declarative_base()


class Scorer(Base):
    __tablename__ = "scorer"
    id = Column(Integer, primary_key=True)
    name = Column(String)
    versions = relationship("Version")
    events: WriteOnlyMapped["Event"] = relationship()


class Version(Base):
    __tablename__ = "version"
    id = Column(Integer, primary_key=True)
    number = Column(Integer)
    scorer_id = Column(Integer, ForeignKey(Scorer.id))
    scorer = relationship(Scorer)


class Event(Base):
    __tablename__ = "event"
    id = Column(Integer, primary_key=True)
    scorer_id = Column(Integer, ForeignKey(Scorer.id))


def rebound_in_the_body(session: Session, cache: dict) -> int:
    total = 0
    for scorer in session.scalars(select(Scorer)):
        scorer = cache[scorer.id]
        total += len(scorer.versions)
    return total


def tuple_with_loader_options(session: Session) -> list:
    rows = session.query(Version, Scorer).options(selectinload(Scorer.versions))
    return [len(scorer.versions) for version, scorer in rows]


def zipped_with_loader_options(session: Session, names: list) -> dict:
    scorers = session.scalars(select(Scorer).options(selectinload(Scorer.versions))).all()
    return {name: len(scorer.versions) for name, scorer in zip(names, scorers)}


def written_out(first: Scorer, second: Scorer) -> list:
    return [len(scorer.versions) for scorer, label in zip((first, second), ("a", "b"))]


def same_lookup_every_turn(session: Session, names: list) -> list:
    found = []
    for name in names:
        default = session.query(Scorer).filter(Scorer.name == "default").first()
        found.append((name, len(default.versions)))
    return found


def versions_of_one_scorer(session: Session, scorer: Scorer) -> list:
    # mlflow's `get_scorer_versions()`: every version's `scorer` is the one scorer, already
    # in the session (a many-to-one relationship reads the identity map first)
    versions = session.query(Version).filter(Version.scorer_id == scorer.id).all()
    return [(i, v.scorer.name) for i, v in enumerate(versions)]


def write_only_collection(session: Session) -> list:
    # SQLAlchemy's examples/asyncio/async_orm_writeonly.py: `scorer.events` is no loaded list
    found = []
    for scorer in session.scalars(select(Scorer)):
        found.extend(session.scalars(scorer.events.select()))
    for scorer in session.scalars(select(Scorer).where(Scorer.id > 1)):
        found.append(scorer.name)
    return found


def latest_version(session: Session, scorer_id: int):
    return session.query(Version).options(selectinload(Version.scorer)) \
        .filter(Version.scorer_id == scorer_id).order_by(Version.id.desc()).first()


def scorer_loaded_with_the_version(session: Session, scorers: list) -> list:
    # the newest version of each scorer (a lookup `.in_()` cannot replace) comes with its
    # scorer (`selectinload()`), so reading it loads nothing more
    found = []
    for scorer in scorers:
        version = latest_version(session, scorer.id)
        found.append(version.scorer.name)
    return found
