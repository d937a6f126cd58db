"""ORM401 near misses of `silent_reraise_through_finally.py`: a path through the handler goes on."""
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session


def do_delete(*, session: Session, strict: bool) -> None:
    try:
        session.execute(text("DELETE FROM source"))
        session.commit()
    except BaseException as e:  # expect: ORM401
        if strict:
            raise e
    finally:
        session.commit()


def _report(name):
    print(f"{name} exists")


def create(session: Session, user) -> None:
    try:
        session.add(user)
        session.commit()
    except IntegrityError:  # expect: ORM401
        _report(user.name)
    session.refresh(user)


# airflow `_lock_asset_model`: only "locked"/"busy" errors roll back and retry; any other
# OperationalError falls through to "lock acquired" with the failed session.
def lock_asset(session: Session, stmt, retries: int):
    for _ in range(retries):
        try:
            session.execute(stmt)
            session.flush()
        except OperationalError as err:  # expect: ORM401
            if "locked" in str(err).lower():
                session.rollback()
                continue
        yield
        return


def unannotated_session_parameter(session, statuses):
    # Issue 18, Pagure ad9df5da: a parameter named `session` whose body only uses it as a
    # session (add, flush, commit) is one, annotation or not.
    for status in statuses:
        session.add(status)
        try:
            session.flush()
        except Exception:  # expect: ORM401
            pass
    session.commit()


# Issue 18, FCMS c96e67b6: Pyramid's request-scoped `request.dbsession` lives on for the request.
def update_cargo(request, rows):
    try:
        for row in rows:
            request.dbsession.add(row)
        request.dbsession.flush()
    except Exception:  # expect: ORM401
        log_error("bad cargo")
    return request.dbsession.query(Cargo).count()


def update_cargo_recovering(request, rows):
    try:
        for row in rows:
            request.dbsession.add(row)
        request.dbsession.flush()
    except Exception:
        request.dbsession.rollback()
    return request.dbsession.query(Cargo).count()


# Issue 18, grin-pool 5d18b70d: `database.db.getSession()` hands out the thread's shared session.
def record_stats(database, heights):
    for height in heights:
        try:
            database.db.getSession().add(Stat(height=height))
            database.db.getSession().commit()
        except Exception:  # expect: ORM401
            log_error(height)


def record_stats_recovering(database, heights):
    for height in heights:
        try:
            database.db.getSession().add(Stat(height=height))
            database.db.getSession().commit()
        except Exception:
            database.db.getSession().rollback()
            log_error(height)
