"""ORM201 stays silent: every path checks for None first, or the value is never dereferenced."""
import os
import sys

import pytest
from flask import abort
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from models import Order, User


# -- exits after a check ----------------------------------------------------------------------------
def is_none_return(session: Session, user_id):
    user = session.get(User, user_id)
    if user is None:
        return None
    return user.email


def is_none_raise(session: Session, user_id):
    user = session.get(User, user_id)
    if user is None:
        raise LookupError(user_id)
    return user.email


def not_x_with_exit(session: Session, user_id):
    user = session.get(User, user_id)
    if not user:
        raise LookupError(user_id)
    return user.email


def equals_none(session: Session, user_id):
    user = session.get(User, user_id)
    if None == user:
        return None
    return user.email


def flask_abort(session: Session, user_id):
    user = session.get(User, user_id)
    if user is None:
        abort(404)
    return user.email


def sys_exit(session: Session, name):
    user = session.scalars(select(User).where(User.name == name)).first()
    if user is None:
        sys.exit(f"no user {name}")
    print(user.email)


def os_exit(session: Session, name):
    user = session.scalars(select(User).where(User.name == name)).first()
    if user is None:
        os._exit(1)
    print(user.email)


def pytest_helpers(session: Session, name):
    user = session.scalars(select(User).where(User.name == name)).first()
    if user is None:
        pytest.skip("no user")
    order = session.scalars(select(Order).where(Order.user_id == user.id)).first()
    if order is None:
        pytest.fail("no order")
    return order.number


def none_or_a_condition(session: Session, user_id):
    user = session.get(User, user_id)
    if user is None or user.deleted:
        return None
    return user.email


def not_x_or_a_condition(session: Session, user_id):
    user = session.get(User, user_id)
    if not user or not user.active:
        return None
    return user.email


def elif_chain(session: Session, user_id):
    user = session.get(User, user_id)
    if user is None:
        abort(404)
    elif user.deleted:
        abort(410)
    return user.email


# -- checks around the use --------------------------------------------------------------------------
def if_x(session: Session, user_id):
    user = session.get(User, user_id)
    if user:
        return user.email
    return None


def if_is_not_none(session: Session, user_id):
    user = session.get(User, user_id)
    if user is not None:
        user.visits += 1
        session.commit()


def else_branch(session: Session, user_id):
    user = session.get(User, user_id)
    if user is None:
        print("missing")
    else:
        print(user.email)


def isinstance_check(session: Session, user_id):
    user = session.get(User, user_id)
    if isinstance(user, User):
        return user.email
    return None


def builtin_checks(session: Session, user_id):
    user = session.get(User, user_id)
    if not hasattr(user, "email") or not bool(user):
        return None
    return user.email


def assert_x(session: Session, user_id):
    user = session.get(User, user_id)
    assert user
    return user.email


def assert_is_not_none(session: Session, user_id):
    user = session.get(User, user_id)
    assert user is not None, "the user must exist"
    return user.email


def and_expression(session: Session, user_id):
    user = session.get(User, user_id)
    return user and user.email


def conditional_expression(session: Session, user_id):
    user = session.get(User, user_id)
    return user.email if user else None


def conditional_expression_is_not_none(session: Session, user_id):
    user = session.get(User, user_id)
    return user.email if user is not None else None


def walrus_in_condition(session: Session, user_id):
    if (user := session.get(User, user_id)) is None:
        abort(404)
    return user.email


def walrus_truthiness(session: Session, user_id):
    if user := session.get(User, user_id):
        return user.email
    return None


def while_not_none(session: Session, user_id):
    user = session.get(User, user_id)
    while user is not None:
        print(user.email)
        user = session.get(User, user.parent_id)


# -- new values -----------------------------------------------------------------------------------
def or_default(session: Session, name):
    user = session.scalars(select(User).where(User.name == name)).first()
    user = user or User(name=name)
    return user.email


def or_default_at_once(session: Session, name):
    user = session.scalars(select(User).where(User.name == name)).first() or User(name=name)
    return user.email


def create_when_missing(session: Session, name):
    user = session.scalars(select(User).where(User.name == name)).first()
    if user is None:
        user = User(name=name)
        session.add(user)
    user.visits += 1
    session.commit()


def reassigned_from_something_else(session: Session, user_id):
    user = session.get(User, user_id)
    user = User(id=user_id)
    return user.email


# -- loops, nested functions, try/except --------------------------------------------------------------
def loop_continue(session: Session, ids):
    for user_id in ids:
        user = session.get(User, user_id)
        if user is None:
            continue
        user.visits += 1


def loop_break(session: Session, ids):
    for user_id in ids:
        user = session.get(User, user_id)
        if not user:
            break
        user.visits += 1


def comprehension_filter(session: Session, ids):
    users = [session.get(User, user_id) for user_id in ids]
    return [user.email for user in users if user]


def nested_function_checks(session: Session):
    def lookup(user_id):
        user = session.get(User, user_id)
        if user is None:
            return None
        return user.email

    return lookup


def used_in_a_closure_is_not_followed(session: Session, user_id):
    user = session.get(User, user_id)
    return lambda: user.email


def try_except_attribute_error(session: Session, user_id):
    user = session.get(User, user_id)
    try:
        return user.email
    except AttributeError:
        return None


def check_inside_try(session: Session, user_id):
    try:
        user = session.get(User, user_id)
        if user is None:
            return None
    except ValueError:
        return None
    return user.email


def check_in_finally_path(session: Session, user_id):
    user = session.get(User, user_id)
    try:
        if user is None:
            return None
    finally:
        session.close()
    return user.email


# -- never dereferenced ----------------------------------------------------------------------------
def compared(session: Session, user_id, other):
    user = session.get(User, user_id)
    return user == other


def returned(session: Session, user_id):
    user = session.get(User, user_id)
    return user


def returned_at_once(session: Session, name):
    return session.scalars(select(User).where(User.name == name)).first()


def passed_on(session: Session, user_id, render):
    user = session.get(User, user_id)
    session.delete(user)
    return render(user=user)


def stored(session: Session, user_id, cache):
    user = session.get(User, user_id)
    cache[user_id] = user
    cache.last = user


def formatted(session: Session, user_id):
    user = session.get(User, user_id)
    return "%s" % user


def getattr_with_a_default(session: Session, user_id):
    user = session.get(User, user_id)
    return getattr(user, "email", None)


def exists_check(session: Session, name):
    return session.scalars(select(User).where(User.name == name)).first() is not None


# -- results that are never None -------------------------------------------------------------------
def strict_methods(session: Session, user_id, name):
    one = session.execute(select(User).where(User.id == user_id)).scalar_one()
    other = session.scalars(select(User).where(User.name == name)).one()
    return one.email, other.email


def count_scalar(session: Session):
    total = session.scalar(select(func.count()).select_from(User))
    return total + 1


def count_with_a_filter(session: Session, name):
    return session.execute(select(func.count(User.id)).where(User.name == name)).scalar() + 1


def legacy_count_scalar(session: Session):
    return session.query(func.count(User.id)).scalar() + 1


def aggregate_row_always_exists(session: Session):
    row = session.execute(select(func.count(Order.id), func.max(Order.number))).first()
    return row[0]


def exists_scalar(session: Session, name):
    found = session.scalar(select(exists().where(User.name == name)))
    return found + 0


def sum_or_zero(session: Session):
    total = session.scalar(select(func.sum(Order.amount))) or 0
    return total + 1


# -- tests: a missing row fails the test, which is what a test is for -------------------------------
def test_user_was_created(session: Session):
    user = session.scalars(select(User)).first()
    assert user.email == "a@example.com"
