"""ORM401 look-alikes from the real-world corpus (issue 7)."""
from typing import NoReturn

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session


# airflow `_do_delete`: the handler re-raises. The `finally:` that then uses the session
# meets the error on its way out, with or without this handler: not the handler's doing.
def do_delete(*, session: Session, batch_size: int, skip_archive: bool) -> None:
    while True:
        target_table = None
        try:
            session.execute(text("CREATE TABLE archive AS SELECT 1"))
            session.commit()
            session.execute(text("DELETE FROM source"))
            session.commit()
        except BaseException as e:
            raise e
        finally:
            if target_table is not None and skip_archive:
                session.commit()


def _conflict(name) -> NoReturn:
    raise ValueError(f"{name} exists")


def _raise_duplicate(name):
    message = f"duplicate {name}"
    raise ValueError(message)


# The handler ends in a helper of this module that never returns.
def create(session: Session, user) -> None:
    try:
        session.add(user)
        session.commit()
    except IntegrityError:
        _conflict(user.name)
    session.refresh(user)


def create_again(session: Session, user) -> None:
    try:
        session.add(user)
        session.flush()
    except IntegrityError:
        _raise_duplicate(user.name)
    session.refresh(user)
