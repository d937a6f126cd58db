from sqlalchemy.orm import Session

from app.models import User


def get_users(db: Session, status=None):
    query = db.query(User)
    if status:
        query = query.filter(User.status == status)
    return query.all()


def get_users_with_proxies(db: Session):
    from sqlalchemy.orm import selectinload

    return db.query(User).options(selectinload(User.proxies)).all()
