"""Models imported from another module: known as models by how this module uses them."""
from app import db
from app.enums import Plan
from app.models import Token, User


def unconfirmed():
    return User.query.filter(User.confirmed_at is None).all()  # expect: ORM503:30


def revoked(user_id: int):
    stmt = db.select(Token).where(Token.user_id == user_id, Token.revoked_at is not None)  # expect: ORM503:61
    return db.session.scalars(stmt).all()


def plans(user: User, allowed):
    # `Plan` is imported but never used as an entity: an enum, not a model
    return db.session.scalars(db.select(User).where(User.email == user.email, Plan.free is None)).all()
