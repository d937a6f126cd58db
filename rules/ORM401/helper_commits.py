"""A helper of this module commits a session that outlives it; its caller catches the
failure and goes on (issue 18: OpenMined PyGrid's `_save_model_in_db()`, borg-ui's
`dispatch_agent_job_if_connected()`)."""
import logging

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import Session

db = SQLAlchemy()
log = logging.getLogger(__name__)


def _save(model):
    db.session.add(model)
    db.session.commit()


def save_models(models):
    for model in models:
        try:
            _save(model)
        except Exception:  # expect: ORM401
            log.exception("could not save %s", model)


class Repository:
    def __init__(self, session: Session):
        self.session = session

    def _store(self, item):
        self.session.add(item)
        self.session.commit()

    def store_all(self, items):
        for item in items:
            try:
                self._store(item)
            except Exception:  # expect: ORM401
                log.warning("skipped %s", item)


# Silent: the helper recovers, the caller rolls back or re-raises, or the helper's session is its own.
def _save_and_recover(model):
    try:
        db.session.add(model)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def save_recovering(models):
    for model in models:
        try:
            _save_and_recover(model)
        except Exception:
            log.exception("could not save %s", model)


def save_with_rollback(models):
    for model in models:
        try:
            _save(model)
        except Exception:
            db.session.rollback()
            log.exception("could not save %s", model)


def save_or_raise(model):
    try:
        _save(model)
    except Exception:
        log.exception("could not save %s", model)
        raise


def _save_own_session(engine, model):
    with Session(engine) as session:
        session.add(model)
        session.commit()


def save_own(engine, models):
    for model in models:
        try:
            _save_own_session(engine, model)
        except Exception:
            log.exception("could not save %s", model)


# Issue 18, borg-ui 2933ae68: a helper of this module commits the session its caller passes.
def _dispatch(session: Session, job):
    session.add(job)
    session.commit()


def dispatch_best_effort(session: Session, job):
    try:
        _dispatch(session, job)
    except Exception:  # expect: ORM401
        return False
    return True


def dispatch_and_recover(session: Session, job):
    try:
        _dispatch(session, job)
    except Exception:
        session.rollback()
        return False
    return True
