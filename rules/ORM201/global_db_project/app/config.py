"""`db` declared as None and made by an init function through `global`: it is
Flask-SQLAlchemy's `db` for this module and for every module that imports it
(issue 18: FlexMeasures' `db: sa = None` ... `global db; db = SQLAlchemy(...)`)."""
import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy

db: sa = None


def init_db():
    global db
    db = SQLAlchemy()


def asset_of(sensor_id):
    sensor = db.session.get(Sensor, sensor_id)  # expect: ORM201
    return sensor.asset_id
