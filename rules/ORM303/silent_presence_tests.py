"""ORM303 look-alikes of presence tests: rows that serve more than the test, lists that
were already limited, and names whose value the test does not see alone."""
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select
from sqlalchemy.orm import Session

db = SQLAlchemy()


class Alias(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String)


def tested_then_used(email: str):
    found = Alias.query.filter_by(email=email).all()
    if not found:
        return None
    return [a.id for a in found]


def tested_then_returned(session: Session, email: str):
    found = session.scalars(select(Alias).where(Alias.email == email)).all()
    return found if found else None


def already_limited(email: str) -> bool:
    return bool(Alias.query.filter_by(email=email).limit(1).all())


def one_row_by_id(alias_id: int) -> bool:
    return bool(Alias.query.filter_by(id=alias_id).all())


def rebound_in_a_loop(emails) -> int:
    seen = 0
    found = []
    for email in emails:
        if found:
            seen += 1
        found = Alias.query.filter_by(email=email).all()
    return seen


def branch_rebinds_before_the_test(email: str, strict: bool) -> bool:
    found = Alias.query.filter_by(email=email).all()
    if strict:
        found = [a for a in found if a.email == email]
    if found:
        return True
    return False


def counted_and_listed(user_id: int):
    rows = Alias.query.filter(Alias.id > user_id).all()
    total = len(rows)
    return total, rows


def the_last_page_is_not_a_prefix(user_id: int):
    rows = Alias.query.filter(Alias.id > user_id).all()
    return len(rows), rows[-5:]
