"""ORM201: a result that is None when no row matches, dereferenced without a check."""
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Order, User


# -- SQLAlchemy 2.0 style -----------------------------------------------------------------------
def scalars_first(session: Session, email):
    user = session.execute(select(User).where(User.email == email)).scalars().first()  # expect: ORM201
    return user.email


def chained(session: Session, query):
    return session.scalars(query).first().email  # expect: ORM201


def session_get(session: Session, user_id):
    user = session.get(User, user_id)  # expect: ORM201
    return {"id": user.id, "name": user.name}


def scalar_one_or_none(session: Session, name):
    stmt = select(User).where(User.name == name)
    user = session.execute(stmt).scalar_one_or_none()  # expect: ORM201
    return user.orders


def one_or_none_row(session: Session, name):
    row = session.execute(select(User.id, User.name).where(User.name == name)).one_or_none()  # expect: ORM201
    return row[0]


def result_first_row_unpacked(session: Session, name):
    user_id, email = session.execute(select(User.id, User.email).where(User.name == name)).first()  # expect: ORM201
    return user_id, email


def session_scalar(session: Session, name):
    email = session.scalar(select(User.email).where(User.name == name))  # expect: ORM201
    return email.lower()


def result_scalar(session: Session, name):
    return session.execute(select(User.email).where(User.name == name)).scalar().lower()  # expect: ORM201


def newest_user(session: Session):
    # An empty table is the classic crash: "newest user" on a fresh install.
    newest = session.scalars(select(User).order_by(User.created.desc())).first()  # expect: ORM201
    return newest.name


def max_of_an_empty_table(session: Session):
    # max() over no rows is NULL: `None + 1` is a TypeError.
    highest = session.scalar(select(func.max(Order.number)))  # expect: ORM201
    return highest + 1


def grouped_count(session: Session):
    # With GROUP BY there is no row at all when nothing matches.
    row = session.execute(select(func.count(Order.id)).group_by(Order.user_id)).first()  # expect: ORM201
    return row.count


def running_total(session: Session, total):
    total += session.scalar(select(func.sum(Order.amount)))  # expect: ORM201
    return total


# -- legacy Query ---------------------------------------------------------------------------------
def legacy_first(session: Session, name):
    user = session.query(User).filter(User.name == name).first()  # expect: ORM201
    print(user.email)


def legacy_get(session: Session, user_id):
    return session.query(User).get(user_id).name  # expect: ORM201


def legacy_scalar(session: Session):
    highest = session.query(func.max(Order.number)).scalar()  # expect: ORM201
    return highest + 1


# -- kinds of dereference -----------------------------------------------------------------------
def attribute_assignment(session: Session, user_id, name):
    user = session.get(User, user_id)  # expect: ORM201
    user.name = name
    session.commit()


def method_call(session: Session, user_id):
    user = session.get(User, user_id)  # expect: ORM201
    user.deactivate()


def iteration(session: Session, user_id):
    user = session.get(User, user_id)  # expect: ORM201
    for order in user.orders:
        print(order)


def iterating_a_row(session: Session, name):
    row = session.execute(select(User.id, User.name).where(User.name == name)).first()  # expect: ORM201
    for value in row:
        print(value)


def star_arguments(session: Session, name):
    row = session.execute(select(User.id, User.name).where(User.name == name)).first()  # expect: ORM201
    print(*row)


def in_an_f_string(session: Session, user_id):
    user = session.get(User, user_id)  # expect: ORM201
    return f"<User {user.name}>"


# -- checks that do not count ----------------------------------------------------------------------
def check_after_the_use(session: Session, user_id):
    user = session.get(User, user_id)  # expect: ORM201
    name = user.name
    if user is None:
        return None
    return name


def check_of_another_variable(session: Session, user_id, order_id):
    user = session.get(User, user_id)  # expect: ORM201
    order = session.get(Order, order_id)
    if order is None:
        return None
    return user.name, order.number


def check_that_does_not_exit(session: Session, user_id, log):
    user = session.get(User, user_id)  # expect: ORM201
    if user is None:
        log.warning("no user %s", user_id)
    return user.name


def check_in_one_branch_only(session: Session, user_id, strict):
    user = session.get(User, user_id)  # expect: ORM201
    if strict and user is None:
        raise LookupError(user_id)
    return user.name


def helper_that_raises_is_not_assumed(session: Session, user_id):
    user = session.get(User, user_id)  # expect: ORM201
    if user is None:
        raise_not_found(user_id)
    return user.name


def reassigned_from_a_new_query(session: Session, user_id, name):
    user = session.get(User, user_id)
    if user is None:
        return None
    user = session.scalars(select(User).where(User.name == name)).first()  # expect: ORM201
    return user.email


def walrus_narrows_only_its_branch(session: Session, user_id):
    if user := session.get(User, user_id):  # expect: ORM201
        print(user.name)
    return user.email


def reported_once_per_result(session: Session, user_id):
    user = session.get(User, user_id)  # expect: ORM201
    print(user.name)
    print(user.email)


# -- control flow ---------------------------------------------------------------------------------
def in_a_loop(session: Session, ids):
    for user_id in ids:
        user = session.get(User, user_id)  # expect: ORM201
        user.visits += 1


def loop_where_break_skips_the_check(session: Session, ids):
    for user_id in ids:
        user = session.get(User, user_id)  # expect: ORM201
        if user_id < 0:
            break
        if user is None:
            continue
    print(user.name)


def inside_try(session: Session, user_id, log):
    try:
        user = session.get(User, user_id)  # expect: ORM201
        return user.name
    except ValueError:
        log.exception("bad id")
        raise


def handler_falls_through(session: Session, user_id):
    try:
        user = session.get(User, user_id)  # expect: ORM201
        if user is None:
            raise LookupError(user_id)
    except LookupError:
        pass
    return user.name


def nested_function_has_its_own_result(session: Session):
    def lookup(user_id):
        user = session.get(User, user_id)  # expect: ORM201
        return user.name

    return lookup


class Repository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def email_of(self, session: Session, user_id):
        user = session.get(User, user_id)  # expect: ORM201
        return user.email


def statement_in_a_variable(session: Session, name):
    stmt = select(User).where(User.name == name)
    result = session.execute(stmt)
    user = result.scalars().first()  # expect: ORM201
    return user.email


def with_block(engine, user_id):
    with Session(engine) as session:
        user = session.get(User, user_id)  # expect: ORM201
        return user.email


def annotated_assignment(session: Session, user_id):
    user: User = session.get(User, user_id)  # expect: ORM201
    return user.email


SESSION = Session()
FIRST = SESSION.scalars(select(User)).first()  # expect: ORM201
FIRST_NAME = FIRST.name
