"""ORM301 with Flask-SQLAlchemy: `Model.query` and `db.session.execute(db.select(...))`."""
from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
db = SQLAlchemy(app)


class User(db.Model):
    id = db.Column(db.Integer, primary_key=True)


@app.get("/users/by-email")
def by_email():
    email = request.args["email"]
    for user in User.query.all():  # expect: ORM301
        if user.email == email:
            return {"id": user.id}
    return {}, 404


@app.get("/users/active")
def active_users():
    users = db.session.execute(db.select(User)).scalars().all()
    return {"ids": [u.id for u in users if u.active == True]}  # expect: ORM301


@app.get("/users/page")
def first_page():
    # Already limited: the Python filter runs on twenty rows.
    users = User.query.order_by(User.id).limit(20).all()
    return {"ids": [u.id for u in users if u.active == True]}
