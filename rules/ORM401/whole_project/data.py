"""Helpers in another module that commit the session they are given or the application's."""
from sqlalchemy.orm import Session

from database import db


def write_ride(ride):
    db.session.add(ride)
    db.session.commit()


def dispatch_job(session: Session, job):
    session.add(job)
    session.commit()


def dispatch_job_safely(session: Session, job):
    try:
        session.add(job)
        session.commit()
    except Exception:
        session.rollback()
        raise
