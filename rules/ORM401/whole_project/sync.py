"""Issue 18: the failed commit happens in a project function of another module
(freezing-web 8556712a `data.write_ride()`, borg-ui 2933ae68 `dispatch_agent_job_if_connected()`),
in a project session scope (honcho 06644108 `tracked_db()`), or in an object's long-lived
session (nbgrader 99a1ab2d); the caller catches it and goes on with the failed session."""
import logging

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, scoped_session, sessionmaker

import data
from database import db, tracked_db

log = logging.getLogger(__name__)


def sync_rides(rides):
    for ride in rides:
        try:
            data.write_ride(ride)
        except Exception:  # expect: ORM401
            log.exception("could not write %s", ride)


def dispatch_best_effort(session: Session, job):
    try:
        data.dispatch_job(session, job)
    except Exception:  # expect: ORM401
        return False
    return True


async def poll(units):
    async with tracked_db("poll") as session:
        for unit in units:
            try:
                session.add(unit)
                await session.commit()
            except IntegrityError:  # expect: ORM401
                log.debug("claimed elsewhere: %s", unit)


class InvalidEntry(ValueError):
    pass


class Gradebook:
    def __init__(self, engine):
        self.db = scoped_session(sessionmaker(bind=engine))

    def update(self, cell):
        try:
            self.db.commit()
        except IntegrityError as error:  # expect: ORM401
            raise InvalidEntry(*error.args)


def create_defaults(session, statuses):
    for status in statuses:
        session.add(status)
        try:
            session.flush()
        except IntegrityError:  # expect: ORM401
            log.debug("status %s exists", status)
    session.commit()


# Silent: the helper rolls back itself, the caller rolls back, re-raises the same error,
# or the object's session is rolled back before its own error is raised.
def dispatch_recovered(session: Session, job):
    try:
        data.dispatch_job_safely(session, job)
    except Exception:
        return False
    return True


def sync_rides_recovering(rides):
    for ride in rides:
        try:
            data.write_ride(ride)
        except Exception:
            db.session.rollback()
            log.exception("could not write %s", ride)


class RecoveringGradebook(Gradebook):
    def update(self, cell):
        try:
            self.db.commit()
        except IntegrityError as error:
            self.db.rollback()
            raise InvalidEntry(*error.args)


def create_default(records, session):
    # Silent: `session` is not used as a session here (`add()` on a set-like object only).
    for record in records:
        session.add(record)
