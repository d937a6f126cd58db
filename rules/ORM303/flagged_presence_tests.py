"""ORM303: every row loaded only to learn whether there is one, and every row loaded to
count them beside a page of them."""
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select
from sqlalchemy.orm import Session

db = SQLAlchemy()


class Alias(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String)


class History(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer)
    created_on = db.Column(db.DateTime)


def create_alias(data):
    # Mailu-Mailu-39b0d440: the rows are only tested, then dropped
    alias_found = Alias.query.filter_by(email=data["email"]).all()  # expect: ORM303
    if alias_found:
        return {"code": 409}, 409
    db.session.add(Alias(email=data["email"]))
    db.session.commit()
    return {"code": 200}, 200


class Recruiter:
    @property
    def is_in_progress(self):
        # Dallinger-Dallinger-7567bf80 (there `Participant.query` comes from `query_property()`)
        return bool(Alias.query.all())  # expect: ORM303


def tested_where_loaded(session: Session, email: str) -> str:
    if not session.scalars(select(Alias).where(Alias.email == email)).all():  # expect: ORM303
        return "free"
    return "taken"


def tested_inside_a_condition(session: Session, email: str, force: bool) -> bool:
    taken = session.scalars(select(Alias).where(Alias.email == email)).all()  # expect: ORM303
    return force or (not taken)


def history_count_and_first_page(user, admin: bool):
    # PowerDNS-Admin-PowerDNS-Admin-dc69f000: `history` is rebound; the branch that loads
    # every row counts them and keeps four
    history_number = 0
    history = []
    if admin:
        history_number = History.query.count()
        history = History.query.order_by(History.created_on.desc()).limit(4).all()
    else:
        history = History.query.filter(History.user_id == user.id).order_by(History.created_on.desc()).all()
        history_number = len(history)  # expect: ORM303
        history = history[:4]  # ORM302's
    return history, history_number
