"""Factories imported from another module of the project are resolved through the index."""
from flask import Blueprint

from .db import SessionLocal, db
from .models import User

bp = Blueprint("users", __name__)


def register(name):
    with SessionLocal() as session:
        session.add(User(name=name))  # expect: ORM101


def register_committed(name):
    with SessionLocal() as session:
        session.add(User(name=name))
        session.commit()


@bp.route("/users", methods=["POST"])
def create():
    db.session.add(User(name="x"))  # expect: ORM101
    return "created"
