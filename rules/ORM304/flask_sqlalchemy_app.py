"""ORM304 with Flask-SQLAlchemy: `Model.query`, `db.session` and `db.get_or_404`."""
from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
db = SQLAlchemy(app)


class User(db.Model):
    id = db.Column(db.Integer, primary_key=True)


@app.post("/users/disable")
def disable_users():
    for user_id in request.json["ids"]:
        user = User.query.get(user_id)  # expect: ORM304
        user.active = False
    db.session.commit()
    return {}


@app.get("/users/names")
def names():
    ids = request.args.getlist("id")
    return {"names": [db.session.get(User, i).name for i in ids]}  # expect: ORM304


@app.get("/users/check")
def check():
    for i in request.args.getlist("id"):
        db.get_or_404(User, i)  # expect: ORM304
    return {}


@app.get("/users/by-name")
def by_name():
    return {"ids": [User.query.filter_by(name=n).first().id for n in request.args.getlist("n")]}  # expect: ORM304


@app.get("/users/roles")
def roles():
    # A fixed handful of literals: two queries, written out in the code.
    return {r: User.query.filter_by(role=r).count() for r in ("admin", "editor")}
