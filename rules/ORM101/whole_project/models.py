"""Issue 18, whole-project knowledge: models whose methods add to the application's session
and leave the commit to their callers (OpenOversight `User.reset_password`, simple-login
`ModelMixin.create`)."""
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()


class ModelMixin:
    @classmethod
    def create(cls, **kwargs):
        instance = cls(**kwargs)
        db.session.add(instance)  # reported at the callers that never commit (views.py)
        return instance


class Alias(db.Model, ModelMixin):
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String)

    @classmethod
    def create_random(cls, user_id):
        return cls.create(email=f"{user_id}@example.com")


class User(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    password = db.Column(db.String)
    email = db.Column(db.String)

    def reset_password(self, token, new_password):
        if token != "valid":
            return False
        self.password = new_password
        # Its only caller (views.password_reset) redirects without a commit.
        db.session.add(self)  # expect: ORM101
        return True

    def change_email(self, new_email):
        self.email = new_email
        db.session.add(self)  # silent: its only caller commits after calling it
        return True

    def confirm(self):
        self.email = self.email.lower()
        db.session.add(self)  # silent: no caller in the project, nothing known about its end
        return True
