from sqlalchemy.orm import Session

from models import Proxy, User


def create_user(db: Session, data):
    dbuser = User(username=data.username, proxies=[Proxy(type=kind) for kind in data.proxies])
    db.add(dbuser)
    db.commit()
    db.refresh(dbuser)
    return dbuser


def rename_user(db: Session, user_id, name):
    dbuser = User(id=user_id, username=name)
    db.add(dbuser)
    db.commit()
    return dbuser


def stage_user(db: Session, data):
    dbuser = User(username=data.username)
    db.add(dbuser)
    return dbuser
