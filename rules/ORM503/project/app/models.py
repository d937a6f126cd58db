from app import db


class User(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(120))
    confirmed_at = db.Column(db.DateTime)


class Token(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id"))
    revoked_at = db.Column(db.DateTime)

    @classmethod
    def valid_for(cls, user_id: int):
        return cls.query.filter(cls.user_id == user_id, cls.revoked_at is None)  # expect: ORM503:57
