"""FastAPI handlers whose session comes from a dependency that closes it without committing:
work left in it when the handler returns is lost (issue 18: ctms b08c284d)."""
from fastapi import Depends, FastAPI
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

from crud import count_records, schedule_and_commit, schedule_record
from models import Alias

SessionLocal = sessionmaker(create_engine("sqlite://"))
app = FastAPI()


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


def get_committing_db():
    db = SessionLocal()
    try:
        yield db
        db.commit()
    finally:
        db.close()


@app.post("/stripe")
def stripe(data: dict, db_session: Session = Depends(get_db)):
    db_session.commit()
    schedule_record(db_session, data["email"])  # expect: ORM101
    return {"status": "OK"}


@app.post("/direct")
def direct(data: dict, db_session: Session = Depends(get_db)):
    db_session.add(Alias(email=data["email"]))  # expect: ORM101
    return {"status": "OK"}


@app.post("/stripe/committed")
def stripe_committed(data: dict, db_session: Session = Depends(get_db)):
    schedule_record(db_session, data["email"])
    db_session.commit()
    return {"status": "OK"}


@app.post("/stripe/helper-commits")
def stripe_helper_commits(data: dict, db_session: Session = Depends(get_db)):
    schedule_and_commit(db_session, data["email"])
    return {"status": "OK"}


@app.post("/stripe/dependency-commits")
def stripe_dependency_commits(data: dict, db_session: Session = Depends(get_committing_db)):
    schedule_record(db_session, data["email"])
    return {"status": "OK"}


@app.get("/count")
def count(db_session: Session = Depends(get_db)):
    return {"count": count_records(db_session)}
