"""Flask-SQLAlchemy: `cls.query` in a classmethod of a model is `Model.query` (flaskbb's
`Setting` helpers). Only a receiver whose class derives from `db.Model` counts."""
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()


class Setting(db.Model):
    key = db.Column(db.String(255), primary_key=True)
    value = db.Column(db.PickleType, nullable=False)

    @classmethod
    def get_setting(cls, key):
        setting = cls.query.filter(cls.key == key.lower()).first()  # expect: ORM201
        return setting.value

    @classmethod
    def get_setting_or_default(cls, key, default=None):
        setting = cls.query.filter_by(key=key).first()
        return setting.value if setting is not None else default

    def sibling_value(self, key):
        # `self.query` also works, but an instance receiver is not resolved: stay silent.
        return self.query.filter_by(key=key).first().value


class CRUDMixin(db.Model):
    __abstract__ = True


class Group(CRUDMixin):
    key = db.Column(db.String(255), primary_key=True)
    name = db.Column(db.String(255))

    @classmethod
    def name_of(cls, key):
        return cls.query.filter_by(key=key).first().name  # expect: ORM201


class Registry:
    """Not a model: its `query` is whatever the class says."""

    query = None

    @classmethod
    def lookup(cls, key):
        return cls.query.filter_by(key=key).first().name

    @staticmethod
    def lookup_static(cls, key):
        return cls.query.filter_by(key=key).first().name
