from app.config import db
from app.models import Account


def account_roles(account_id):
    account = Account.query.filter_by(id=account_id).one_or_none()  # expect: ORM201
    return account.account_roles


def asset_of(sensor_id):
    sensor = db.session.get(Sensor, sensor_id)  # expect: ORM201
    return sensor.asset_id


def checked(sensor_id):
    sensor = db.session.get(Sensor, sensor_id)
    return sensor.asset_id if sensor is not None else None
