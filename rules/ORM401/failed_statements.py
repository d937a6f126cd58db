"""A statement the database rejects, caught as a database error, then the same session used
again (issue 18: FlexMeasures aac48370 retried a SELECT after `except DatabaseError:` and met
`InFailedSqlTransaction`). PostgreSQL aborts the whole transaction on a failed statement; a
lost connection is invalidated: either way the retry fails until `rollback()`."""
import time

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import exc as sqla_exc, insert, select
from sqlalchemy.exc import IntegrityError, NoResultFound, OperationalError
from sqlalchemy.orm import Session

db = SQLAlchemy()


class TaskRun(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String, unique=True)


def get_task_run(task_name):
    try:
        last = db.session.scalars(select(TaskRun).filter(TaskRun.name == task_name).limit(1)).first()
    except (sqla_exc.ResourceClosedError, sqla_exc.DatabaseError):  # expect: ORM401
        time.sleep(2)
        last = db.session.scalars(select(TaskRun).filter(TaskRun.name == task_name).limit(1)).first()
    return last


def record_runs(session: Session, names):
    for name in names:
        try:
            session.execute(insert(TaskRun).values(name=name))
        except IntegrityError:  # expect: ORM401
            continue


def count_runs(session: Session):
    try:
        total = session.query(TaskRun).count()
    except OperationalError:  # expect: ORM401
        total = 0
    session.add(TaskRun(name="counted"))
    return total


# Silent: the handler rolls back before the retry.
def retried_after_rollback(task_name):
    try:
        return db.session.scalars(select(TaskRun).filter(TaskRun.name == task_name)).first()
    except OperationalError:
        db.session.rollback()
        return db.session.scalars(select(TaskRun).filter(TaskRun.name == task_name)).first()


# Silent: `NoResultFound` is raised by SQLAlchemy after the rows came back; the transaction
# is fine.
def get_or_create(session: Session, name):
    try:
        run = session.execute(select(TaskRun).where(TaskRun.name == name)).scalar_one()
    except NoResultFound:
        run = TaskRun(name=name)
        session.add(run)
    return run


# Silent: a catch-all around a query more often catches the caller's own errors or
# `NoResultFound`; only named database errors count for a failed statement.
def lenient(session: Session, name):
    try:
        run = session.execute(select(TaskRun).where(TaskRun.name == name)).scalar_one()
    except Exception:
        run = None
    session.add(TaskRun(name=name))
    return run


# Silent: the session is not used again here; whoever uses it next decides.
def gives_up(session: Session, name):
    try:
        return session.execute(select(TaskRun).where(TaskRun.name == name)).scalar_one()
    except OperationalError:
        return None


# Silent: a savepoint around the statement keeps the outer transaction usable.
def in_savepoint(session: Session, name):
    try:
        with session.begin_nested():
            session.execute(insert(TaskRun).values(name=name))
    except IntegrityError:
        pass
    session.add(TaskRun(name=name + "-2"))


# Silent: database errors go to the first handler, which re-raises (for a retrying
# decorator); the catch-all after it only sees the code's own errors (airflow's
# `_schedule_all_dag_runs`).
def schedule_all(session: Session, runs, schedule_one):
    for run in runs:
        try:
            schedule_one(run, session)
            session.flush()
        except sqla_exc.DBAPIError:
            raise
        except Exception:
            print("could not schedule", run)
    session.commit()
