"""ORM304: a relationship that loads on first read (`lazy="select"`, the default) read on
every row of a query: one SELECT per row (the classic N+1)."""
from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, select
from sqlalchemy.orm import Session, declarative_base, relation, relationship

Base = declarative_base()


class Series(Base):
    __tablename__ = "series"
    id = Column(Integer, primary_key=True)
    name = Column(String)
    episodes = relation("Episode", backref="series")


class Episode(Base):
    __tablename__ = "series_episodes"
    id = Column(Integer, primary_key=True)
    number = Column(Integer)
    series_id = Column(Integer, ForeignKey("series.id"), nullable=False)
    releases = relation("Release", backref="episode")


class Release(Base):
    __tablename__ = "episode_releases"
    id = Column(Integer, primary_key=True)
    episode_id = Column(Integer, ForeignKey("series_episodes.id"), nullable=False)
    downloaded = Column(Boolean, default=False)


class Host(Base):
    __tablename__ = "host"
    id = Column(Integer, primary_key=True)
    name = Column(String)


class Switch(Base):
    __tablename__ = "switch"
    host_id = Column(Integer, ForeignKey(Host.id), primary_key=True)
    host = relationship(Host)


def latest_download(session: Session, name: str):
    # Flexget-Flexget-fa78c485: `episode_downloaded` reads `episode.releases` for each episode
    series = session.query(Series).filter(Series.name == name).first()
    if not series:
        return False

    def episode_downloaded(episode):
        for release in episode.releases:
            if release.downloaded:
                return True
        return False

    latest = 0
    for episode in series.episodes:
        if episode_downloaded(episode) and episode.number > latest:  # expect: ORM304
            latest = episode.number
    return latest


def switch_names(session: Session) -> list:
    # agdsn-pycroft-2edf427e (there `Switch` and its `host` are declared in another module)
    return [switch.host.name for switch in session.scalars(select(Switch)).all()]  # expect: ORM304


def release_counts(session: Session) -> dict:
    # emfcamp-Website-13696f95 (there `Tag.proposals` is declared in another module)
    return {e.id: len(e.releases) for e in session.query(Episode).all()}  # expect: ORM304
