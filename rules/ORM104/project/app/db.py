from contextlib import contextmanager

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

engine = create_engine("sqlite://")
SessionLocal = sessionmaker(bind=engine)
KeepLoaded = sessionmaker(
    bind=engine,
    expire_on_commit=False,
)


@contextmanager
def session_scope():
    session = SessionLocal()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def kept_scope():
    with KeepLoaded() as session:
        yield session
        session.commit()


@contextmanager
def create_session():
    # apache-airflow's shape: `Session` is a configured factory looked up at run time, not
    # SQLAlchemy's class, so its options are unknown.
    Session = getattr(settings, "Session", None)
    session = Session()
    try:
        yield session
        session.commit()
    finally:
        session.close()
