"""ORM101 and the ways out of a function: a `return` inside `try` runs the `finally:` block
first, and a call to a helper that always raises ends the path, for ORM101 as for every rule."""
from sqlalchemy.orm import Session

from models import User


def _not_found(what):
    raise LookupError(what)


def commit_in_finally(engine, user):
    s = Session(engine)
    try:
        s.add(user)
        return user.id
    finally:
        s.commit(); s.close()


def commit_in_finally_inside_with(engine, user):
    with Session(engine) as s:
        try:
            s.add(user)
            return user.id
        finally:
            s.commit()


def helper_that_raises_ends_the_path(engine, user, ok):
    with Session(engine) as s:
        s.add(user)
        if not ok:
            _not_found(user)
        else:
            s.commit()


def raise_in_with_discards_on_purpose(engine, name, ok):
    with Session(engine) as s:
        s.add(User(name=name))
        if not ok:
            raise ValueError(name)
        s.commit()


# Near misses: still lost.
def flush_in_finally_is_not_a_commit(engine, user):
    with Session(engine) as s:
        try:
            s.add(user)  # expect: ORM101
            return user.id
        finally:
            s.flush()


def helper_that_returns_does_not_end_the_path(engine, user, ok):
    with Session(engine) as s:
        s.add(user)  # expect: ORM101
        if not ok:
            print(user)
        else:
            s.commit()


def commit_in_finally_of_an_inner_try_only(engine, user, other):
    with Session(engine) as s:
        s.add(other)  # expect: ORM101
        if user is None:
            return None
        try:
            s.add(user)
        finally:
            s.commit()
