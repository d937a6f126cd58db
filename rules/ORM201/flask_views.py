"""Flask-SQLAlchemy: `Model.query`, `db.session.get()`, and `abort()` as the check."""
from flask import Flask, abort, jsonify, redirect, request
from flask.views import MethodView
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
db = SQLAlchemy(app)


class User(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String)


@app.route("/users/<name>")
def show_user(name):
    user = User.query.filter_by(name=name).first()  # expect: ORM201
    return jsonify(name=user.name)


@app.route("/users/<int:user_id>")
def show_by_id(user_id):
    user = db.session.get(User, user_id)  # expect: ORM201
    return jsonify(name=user.name)


@app.route("/legacy/<int:user_id>")
def legacy_get(user_id):
    return jsonify(name=User.query.get(user_id).name)  # expect: ORM201


@app.route("/users/<int:user_id>/rename", methods=["POST"])
def rename(user_id):
    user = db.session.execute(db.select(User).filter_by(id=user_id)).scalar_one_or_none()  # expect: ORM201
    user.name = request.form["name"]
    db.session.commit()
    return redirect("/users")


class UserAPI(MethodView):
    def get(self, user_id):
        user = User.query.get(user_id)  # expect: ORM201
        return jsonify(name=user.name)

    def delete(self, user_id):
        user = User.query.get(user_id)
        if user is None:
            abort(404)
        db.session.delete(user)
        db.session.commit()
        return jsonify(deleted=user.id)


# -- checked, or never None -------------------------------------------------------------------------
@app.route("/checked/<name>")
def checked(name):
    user = User.query.filter_by(name=name).first()
    if not user:
        abort(404)
    return jsonify(name=user.name)


@app.route("/or-404/<name>")
def or_404(name):
    user = User.query.filter_by(name=name).first_or_404()
    other = db.get_or_404(User, 1)
    third = User.query.get_or_404(2)
    return jsonify(name=user.name, other=other.name, third=third.name)


@app.route("/one/<name>")
def one(name):
    return jsonify(name=User.query.filter_by(name=name).one().name)


@app.route("/count")
def count():
    return jsonify(users=db.session.scalar(db.select(db.func.count(User.id))) + 1)


# Models reached through an imported module (issue 18: `models.Widget.query.get(i)`).
from app import models  # noqa: E402


@app.route("/widgets/<int:widget_id>")
def widget_owner(widget_id):
    widget = models.Widget.query.get(widget_id)  # expect: ORM201
    return widget.owner.name


@app.route("/widgets/<int:widget_id>/checked")
def widget_owner_checked(widget_id):
    widget = models.Widget.query.get(widget_id)
    if widget is None:
        abort(404)
    return widget.owner.name


def settings_constant():
    return models.DEFAULT_LIMIT.query.first().value


class Order(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    amount = db.Column(db.Integer)


def order_total():
    """An aggregate without GROUP BY always yields one row (issue 18's known false alarm)."""
    return Order.query.with_entities(db.func.sum(Order.amount).label("sum")).first().sum


def order_totals_by_day():
    # Grouped: no row at all when there are no orders.
    return Order.query.with_entities(db.func.sum(Order.amount)).group_by(Order.id).first()[0]  # expect: ORM201
