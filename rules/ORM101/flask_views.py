"""Flask-SQLAlchemy: `db.session` is not committed at the end of a request."""
from flask import Flask, abort, jsonify, redirect, request
from flask.views import MethodView
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
db = SQLAlchemy(app)


class User(db.Model):
    id = db.Column(db.Integer, primary_key=True)


@app.route("/users", methods=["POST"])
def create_user():
    user = User(name=request.form["name"])
    db.session.add(user)  # expect: ORM101
    return jsonify(id=user.id)


@app.post("/users/<int:user_id>/delete")
def delete_user(user_id):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    db.session.delete(user)  # expect: ORM101
    return redirect("/users")


class UserAPI(MethodView):
    def post(self):
        db.session.add(User(name=request.json["name"]))  # expect: ORM101
        return {"ok": True}

    def put(self):
        db.session.add(User(name=request.json["name"]))
        db.session.commit()
        return {"ok": True}


@app.route("/ok", methods=["POST"])
def committed_view():
    db.session.add(User(name="x"))
    db.session.commit()
    return "ok"


@app.route("/helper", methods=["POST"])
def helper_commits():
    db.session.add(User(name="x"))
    finish()
    return "ok"


@app.route("/active-record", methods=["POST"])
def model_saves_itself():
    user = User(name="x")
    db.session.add(user)
    user.save()
    return "ok"


def not_a_view(name):
    # A plain helper: its caller decides when to commit.
    db.session.add(User(name=name))


def finish():
    db.session.commit()
