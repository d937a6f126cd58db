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
