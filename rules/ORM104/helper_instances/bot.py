import crud
from db import BorrowDB, GetDB, SessionLocal


def add_user(data):
    with GetDB() as db:
        db_user = crud.create_user(db, data)
    return ", ".join(proxy.type for proxy in db_user.proxies)  # expect: ORM104


def rename(user_id, name):
    with GetDB() as db:
        db_user = crud.rename_user(db, user_id, name)
    return db_user.username  # expect: ORM104


def add_user_locally(name):
    with SessionLocal() as db:
        user = crud.User(username=name)
        db.add(user)
        db.commit()
        db.refresh(user)
    return [proxy.type for proxy in user.proxies]  # expect: ORM104


# Silent: refresh() loaded the columns again.
def add_user_name(data):
    with GetDB() as db:
        db_user = crud.create_user(db, data)
    return db_user.username


# Silent: `notes` is loaded with the object (lazy="selectin"), refresh() included.
def add_user_notes(data):
    with GetDB() as db:
        db_user = crud.create_user(db, data)
    return [note.text for note in db_user.notes]


# Silent: read while the session is open.
def add_user_inside(data):
    with GetDB() as db:
        db_user = crud.create_user(db, data)
        return [proxy.type for proxy in db_user.proxies]


# Silent: BorrowDB does not close the session it hands out.
def add_user_borrowed(session, data):
    with BorrowDB(session) as db:
        db_user = crud.create_user(db, data)
    return [proxy.type for proxy in db_user.proxies]


# Silent: stage_user() does not commit; the object is fresh, its values in memory.
def stage(data):
    with GetDB() as db:
        db_user = crud.stage_user(db, data)
    return db_user.username
