"""Look-alikes ORM104 must stay silent on."""
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import create_engine, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from models import Address, User

engine = create_engine("sqlite://")
SessionLocal = sessionmaker(engine)
KeepLoaded = sessionmaker(engine, expire_on_commit=False)
Configured = sessionmaker()
Configured.configure(bind=engine, expire_on_commit=False)
app = Flask(__name__)
db = SQLAlchemy(app)


def expire_on_commit_false_on_the_session(name):
    with Session(engine, expire_on_commit=False) as session:
        user = User(name=name)
        session.add(user)
        session.commit()
    return user.name


def expire_on_commit_false_on_the_factory(user_id):
    with KeepLoaded() as session:
        user = session.get(User, user_id)
        session.commit()
        return user


def expire_on_commit_false_through_configure(user_id):
    with Configured() as session:
        user = session.get(User, user_id)
        session.commit()
    return user.name


def expire_on_commit_false_on_the_call(user_id):
    with SessionLocal(expire_on_commit=False) as session:
        user = session.get(User, user_id)
        session.commit()
    return user.name


def refreshed_after_the_commit(name):
    with Session(engine) as session:
        user = User(name=name)
        session.add(user)
        session.commit()
        session.refresh(user)
    return user.name


def refreshed_before_return(name):
    with SessionLocal() as session:
        user = User(name=name)
        session.add(user)
        session.commit()
        session.refresh(user)
        return user


def read_before_the_commit(user_id):
    with Session(engine) as session:
        user = session.get(User, user_id)
        name = user.name
        session.commit()
    return name


def read_inside_the_block_after_the_commit(user_id):
    with Session(engine) as session:
        user = session.get(User, user_id)
        session.commit()
        return user.name  # the open session loads it again


def written_then_read_back(user_id):
    with Session(engine) as session:
        user = session.get(User, user_id)
        session.commit()
    user.name = "renamed"
    return user.name


def primary_key_after_flush():
    with Session(engine) as session:
        user = User(name="ada")
        session.add(user)
        session.flush()
        new_id = user.id
        session.commit()
    return new_id


def no_commit_nothing_expired(user_id):
    with Session(engine) as session:
        user = session.get(User, user_id)
    return user.name


def begin_block_used_inside():
    with Session(engine) as session, session.begin():
        user = session.get(User, 1)
        user.visits += 1
        print(user.name)


def begin_block_then_read_while_open():
    with Session(engine) as session:
        with session.begin():
            user = session.get(User, 1)
        return user.name  # the outer session is still open: it reloads


def not_instances_of_the_session():
    with Session(engine) as session:
        rows = session.execute(select(User.id, User.name)).all()
        count = session.scalar(select(User.id).limit(1))
        session.commit()
    for row in rows:
        print(row.name)
    return count.bit_length()


def objects_of_another_session(other: Session):
    user = other.get(User, 1)
    with Session(engine) as session:
        session.add(Address(street="x"))
        session.commit()
    return user.name


def reloaded_by_a_later_query():
    with Session(engine) as session:
        user = User(name="ada")
        session.add(user)
        session.commit()
        everyone = session.scalars(select(User)).all()
    return user.name, len(everyone)


def reloaded_by_get(user_id):
    with Session(engine) as session:
        user = session.get(User, user_id)
        session.commit()
        session.get(User, user_id)
    return user.name


def statement_we_cannot_see(stmt):
    with Session(engine) as session:
        user = session.get(User, 1)
        session.commit()
        session.execute(stmt)
    return user.name


def attached_again(user_id):
    with Session(engine) as session:
        user = session.get(User, user_id)
        session.commit()
    with Session(engine) as other:
        other.add(user)
        print(user.name)


def rebound_name(user_id):
    with Session(engine) as session:
        user = session.get(User, user_id)
        session.commit()
    user = User(name="new")
    return user.name


def caller_owns_the_session(session: Session, name):
    user = User(name=name)
    session.add(user)
    session.commit()
    return user  # the caller's session is still open


def unannotated_session(session, user_id):
    user = session.get(User, user_id)
    session.commit()
    session.close()
    session.send(user_id)  # a method no SQLAlchemy session has: not provably a session
    return user.name


@app.route("/users/<int:user_id>", methods=["POST"])
def flask_view(user_id):
    user = db.session.get(User, user_id)
    user.visits += 1
    db.session.commit()
    return {"name": user.name}  # db.session stays open for the request: it reloads


def class_and_state_need_no_load(user_id):
    with Session(engine) as session:
        user = session.get(User, user_id)
        session.commit()
    return user.__class__, user.__tablename__, user._sa_instance_state


def non_loading_statements(user_id):
    with Session(engine) as session:
        user = session.get(User, user_id)
        session.execute(update(User).values(visits=0))
        session.execute(text("SELECT 1"))
        name = user.name
        session.commit()
    return name


def lambda_runs_later(user_id):
    with Session(engine) as session:
        user = session.get(User, user_id)
        session.commit()
    return lambda: user.name


def options_we_cannot_see(options, user_id):
    with Session(engine, **options) as session:
        user = session.get(User, user_id)
        session.commit()
    return user.name


def expire_on_commit_switched_off_on_the_session(user_id):
    with Session(engine) as session:
        session.expire_on_commit = False
        user = session.get(User, user_id)
        session.commit()
    return user.name


def deleted_objects_keep_their_values(user_id):
    with Session(engine) as session:
        user = session.get(User, user_id)
        session.delete(user)
        session.commit()
    return {"deleted": user.id, "name": user.name}


def rows_returned_from_a_block_that_does_not_commit():
    # `with Session()` closes without committing: the rows are detached but loaded.
    with SessionLocal() as session:
        return session.scalars(select(User)).all()


def rows_returned_from_a_block_that_keeps_them_loaded():
    with KeepLoaded.begin() as session:
        return session.scalars(select(User)).all()


def values_collected_not_objects(emails):
    # The dict holds plain values read before the commit, not the instances.
    ids = {}
    with SessionLocal.begin() as session:
        for user in session.scalars(select(User).where(User.email.in_(emails))):
            ids[user.email] = user.id
    return ids


def refreshed_one_by_one(names):
    created = []
    with Session(engine) as session:
        for name in names:
            user = User(name=name)
            session.add(user)
            created.append(user)
        session.commit()
        for user in created:
            session.refresh(user)
    return created
