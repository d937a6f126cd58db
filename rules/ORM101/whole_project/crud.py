"""FastAPI-style CRUD helpers that take the request's session (ctms `schedule_acoustic_record`)."""
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Alias


def schedule_record(db: Session, email):
    db.add(Alias(email=email))


def schedule_and_commit(db: Session, email):
    schedule_record(db, email)
    db.commit()


def count_records(db: Session):
    return db.scalar(select(func.count()).select_from(Alias))
