from app.config import db


class Account(db.Model):
    id = db.Column(db.Integer, primary_key=True)
