"""ORM401: handlers that go on after a failed commit/flush while the session is still needed."""
import logging

import sqlalchemy as sa
from sqlalchemy import create_engine, select
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from models import Job, User

log = logging.getLogger(__name__)
engine = create_engine("sqlite://")
SessionLocal = sessionmaker(engine)
shared_session = SessionLocal()


def caller_owns_the_session(session: Session, user: User) -> bool:
    try:
        session.add(user)
        session.commit()
    except IntegrityError:  # expect: ORM401
        log.warning("duplicate user %s", user.name)
        return False
    return True


def next_iteration_uses_it(names):
    with SessionLocal() as session:
        for name in names:
            try:
                session.add(User(name=name))
                session.commit()
            except IntegrityError:  # expect: ORM401
                log.warning("duplicate user %s", name)
                continue


def retry_loop_that_can_never_succeed(user_id):
    # A failed flush makes every retry raise PendingRollbackError.
    with Session(engine) as session:
        for attempt in range(3):
            try:
                user = session.get(User, user_id)
                user.visits += 1
                session.flush()
                break
            except OperationalError:  # expect: ORM401
                log.info("retrying, attempt %d", attempt)
        session.commit()


def used_after_the_try(name):
    session = SessionLocal()
    try:
        session.add(User(name=name))
        session.commit()
    except SQLAlchemyError:  # expect: ORM401
        log.exception("could not create %s", name)
    count = session.scalar(select(sa.func.count(User.id)))
    session.close()
    return count


def module_level_session(name):
    try:
        shared_session.add(User(name=name))
        shared_session.commit()
    except Exception:  # expect: ORM401
        log.exception("could not save")


def bare_except_in_a_worker(session: Session, queue):
    while True:
        job = queue.get()
        try:
            job.done = True
            session.commit()
        except:  # expect: ORM401
            log.error("job %s failed", job.id)


def qualified_exception_name(session: Session, user):
    try:
        session.merge(user)
        session.commit()
    except sa.exc.DBAPIError:  # expect: ORM401
        return None
    return user


def exception_tuple(session: Session, user):
    try:
        session.add(user)
        session.flush()
    except (ValueError, IntegrityError):  # expect: ORM401
        log.warning("not saved")
    return user


def rollback_on_one_branch_only(session: Session, user, strict):
    try:
        session.add(user)
        session.commit()
    except IntegrityError:  # expect: ORM401
        if strict:
            session.rollback()
            return False
        log.warning("ignored duplicate")
    return True


def returns_the_failed_session(name):
    session = SessionLocal()
    try:
        session.add(User(name=name))
        session.commit()
    except IntegrityError:  # expect: ORM401
        return session
    return session


class JobRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def finish(self, job: Job) -> None:
        try:
            job.done = True
            self.session.commit()
        except Exception:  # expect: ORM401
            log.exception("could not finish job %s", job.id)


class Importer:
    def __init__(self) -> None:
        self.session = SessionLocal()

    def run(self, rows):
        for row in rows:
            try:
                self.session.add(User(name=row))
                self.session.commit()
            except IntegrityError:  # expect: ORM401
                pass


NEW_SESSION: Session = None  # type: ignore[assignment]


def provide_session(func):
    return func


@provide_session
def set_state(items, state, session: Session = NEW_SESSION):
    # The decorator commits the session it provides after the call: that commit fails.
    try:
        for item in items:
            item.state = state
            session.merge(item)
        session.commit()
    except Exception as error:  # expect: ORM401
        log.error("failed to set state: %s", error)


class SqlResolver:
    def connect(self, engine):
        self.session = scoped_session(sessionmaker(bind=engine))()

    def delete_user(self, uid):
        try:
            self.session.execute(sa.delete(User).where(User.id == uid))
            self.session.commit()
        except Exception as error:  # expect: ORM401
            log.error("error deleting user: %s", error)
            return False
        return True
