"""Look-alikes found in open-source applications, reduced; each was a false alarm once."""
from flask import Flask
from flask.views import MethodView
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import Session

from models import RegisteredModel

app = Flask(__name__)
db = SQLAlchemy(app)


class Count(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    count = db.Column(db.Integer, default=0)


# mlflow: existence is checked by one query, the row fetched by a second on the same model.
def check_workspaces(session: Session, default):
    exists_elsewhere = (
        session.query(RegisteredModel.name)
        .filter(RegisteredModel.workspace != default)
        .first()
        is not None
    )
    if exists_elsewhere:
        name, workspace = (
            session.query(RegisteredModel.name, RegisteredModel.workspace)
            .filter(RegisteredModel.workspace != default)
            .first()
        )
        raise ValueError(f"model {name} in {workspace}")


# zou plugin template: `if not Model.query.first(): create() else: fetch it again`.
class HelloWorld(MethodView):
    def get(self):
        if not Count.query.first():
            counter = Count()
        else:
            counter = Count.query.first()
            counter.count += 1
        return {"count": counter.count}


# Counting rows always returns a row, grouped by nothing.
def counts(session: Session):
    return session.query(db.func.count(Count.id)).first()[0]


# -- the same shapes with the check missing are still reported -----------------------------------------
def existence_of_another_model(session: Session, default):
    if session.query(Count).first() is not None:
        name, workspace = (
            session.query(RegisteredModel.name, RegisteredModel.workspace)
            .first()  # expect: ORM201
        )
        return name, workspace


def fetched_in_the_branch_where_nothing_exists(session: Session):
    if not session.query(Count).first():
        return session.query(Count).first().count  # expect: ORM201
    return 0
