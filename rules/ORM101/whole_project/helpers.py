"""Project helpers that add to the application's session (pycroft `log_room_event`,
FlexMeasures `save_to_db`) or commit it."""
from models import Alias, db


def log_event(message):
    entry = Alias(email=message)
    db.session.add(entry)
    return entry


def save_and_commit(message):
    log_event(message)
    db.session.commit()


def count_aliases():
    return db.session.query(Alias).count()


def current_person(cached):
    # `load=False` attaches an object that must be clean (zou's `get_person_raw_cached`):
    # nothing is left for a commit to save.
    return db.session.merge(cached, load=False)
