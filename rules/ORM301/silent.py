"""ORM301 look-alikes: real per-row work, tests SQL cannot express, iterables that are not
query rows, small results, and lists that serve something else too."""
import hashlib
import re
from typing import Dict, List

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from models import Team, User
from mail import send_welcome


def real_work_per_row(session: Session) -> None:
    for user in session.scalars(select(User)):
        if user.email == "":
            continue
        send_welcome(user.email)


def builds_a_dict(session: Session) -> Dict[int, str]:
    names = {}
    for user in session.scalars(select(User)):
        if user.active == True:
            names[user.id] = user.name
    return names


def groups_into_buckets(session: Session) -> Dict[str, List[User]]:
    buckets: Dict[str, List[User]] = {}
    for user in session.scalars(select(User)):
        if user.country is not None:
            buckets.setdefault(user.country, []).append(user)
    return buckets


def writes_files(session: Session, path: str) -> None:
    with open(path, "w") as out:
        for user in session.scalars(select(User)):
            if user.active == True:
                out.write(user.email + "\n")


def updates_rows(session: Session) -> None:
    for user in session.scalars(select(User)):
        if user.age >= 18:
            user.adult = True
    session.commit()


def adds_to_the_session(session: Session) -> None:
    for user in session.scalars(select(User)):
        if user.status == "new":
            session.add(user)


def python_function_in_the_test(session: Session) -> List[User]:
    return [u for u in session.scalars(select(User)) if is_valid_email(u.email)]


def method_call_in_the_test(session: Session, name: str) -> List[User]:
    return [u for u in session.scalars(select(User)) if u.name.lower() == name]


def regex_on_a_computed_value(session: Session) -> List[User]:
    return [u for u in session.scalars(select(User)) if re.match(r"^a", u.first + u.last)]


def hashing(session: Session, digest: str) -> List[User]:
    return [u for u in session.scalars(select(User)) if hashlib.sha256(u.token.encode()).hexdigest() == digest]


def truthiness_may_be_a_property(session: Session) -> List[User]:
    # `is_active` may be a Python @property (Flask-Login defines one): not a column.
    return [u for u in session.scalars(select(User)) if u.is_active]


def related_object_needs_a_join(session: Session, name: str) -> List[User]:
    return [u for u in session.scalars(select(User)) if u.team.name == name]


def element_does_work(session: Session) -> List[str]:
    return [render(u) for u in session.scalars(select(User)) if u.active == True]


def plain_list(users: List[User], email: str) -> List[User]:
    return [u for u in users if u.email == email]


def api_response(client, email: str) -> list:
    found = []
    for user in client.get("/users").json():
        if user.email == email:
            found.append(user)
    return found


def already_limited(session: Session) -> List[User]:
    newest = session.scalars(select(User).order_by(User.created.desc()).limit(10)).all()
    return [u for u in newest if u.active == True]


def fetchmany_is_small(session: Session) -> List[User]:
    batch = session.scalars(select(User)).fetchmany(50)
    return [u for u in batch if u.active == True]


def list_used_for_something_else(session: Session):
    users = session.scalars(select(User)).all()
    admins = [u for u in users if u.role == "admin"]
    return users, admins


def loop_reads_the_list_again(session: Session):
    users = session.scalars(select(User)).all()
    for user in users:
        if user.role == "admin":
            return user
    return users[-1]


def reused_by_an_enclosing_loop(session: Session, teams: List[Team]) -> Dict[int, List[User]]:
    users = session.scalars(select(User)).all()
    by_team = {}
    for team in teams:
        by_team[team.id] = [u for u in users if u.team_id == team.id]
    return by_team


def compared_with_an_outer_loop_variable(session: Session, teams: List[Team]):
    for team in teams:
        yield [u for u in session.scalars(select(User)) if u.team_id == team.id]


def unknown_selection(session: Session, stmt, email: str) -> List[User]:
    # What `stmt` selects is not known here: `u.email` may not be a column.
    return [u for u in session.scalars(stmt) if u.email == email]


def raw_sql(session: Session) -> list:
    return [r for r in session.execute(text("SELECT * FROM users")) if r.age > 3]


def two_conditions_one_not_sql(session: Session) -> List[User]:
    return [u for u in session.scalars(select(User)) if u.age > 3 and check(u)]


def partitions_are_batches(session: Session):
    for batch in session.execute(select(User)).partitions(100):
        if batch.size == 3:
            yield batch


def fixed_literals(session: Session) -> List[str]:
    return [name for name in ("a", "b") if name == "a"]


def fallback_after_a_failed_query(session: Session, ids: List[int]) -> List[User]:
    try:
        return session.scalars(select(User).where(User.id.in_(ids))).all()
    except Exception:
        users = session.scalars(select(User)).all()
        return [u for u in users if u.id in ids]


def is_valid_email(value: str) -> bool:
    return "@" in value


def render(user: User) -> str:
    return user.name


def check(user: User) -> bool:
    return True
