"""Flask-SQLAlchemy: `db.session` lives for the whole request, so a handler that goes on
after a failed commit hands a failed session to the rest of the request."""
import logging

from flask import Flask, abort, flash, redirect, render_template, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.exc import IntegrityError

app = Flask(__name__)
db = SQLAlchemy(app)
log = logging.getLogger(__name__)


class User(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String, unique=True)


@app.post("/users")
def create_user():
    user = User(name=request.form["name"])
    try:
        db.session.add(user)
        db.session.commit()
    except IntegrityError:  # expect: ORM401
        flash("That name is taken")
        return render_template("new_user.html", users=User.query.all())
    return redirect("/users")


@app.post("/visits")
def record_visit():
    try:
        db.session.add(User(name="visitor"))
        db.session.commit()
    except Exception:  # expect: ORM401
        log.exception("could not record the visit")
    names = db.session.scalars(db.select(User.name)).all()
    return {"names": names}


def save_client(client):
    # Called from request handlers: the request goes on with db.session.
    try:
        db.session.commit()
    except IntegrityError as error:  # expect: ORM401
        log.info("unable to write client entry: %s", error)


@app.post("/users/ok")
def create_user_rolls_back():
    user = User(name=request.form["name"])
    try:
        db.session.add(user)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        flash("That name is taken")
        return redirect("/users/new")
    return redirect("/users")


@app.post("/users/abort")
def create_user_aborts():
    try:
        db.session.add(User(name=request.form["name"]))
        db.session.commit()
    except IntegrityError:
        abort(409)
    return redirect("/users")


@app.post("/users/alias")
def alias_of_the_request_session():
    session = db.session
    try:
        session.add(User(name=request.form["name"]))
        session.commit()
    except IntegrityError:
        db.session.rollback()
        return "taken", 409
    return "ok"
