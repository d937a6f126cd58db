"""Issue 18: None-able rows that come from a project helper (coriolis ad580f0a, where
`get_replica()` chained `_soft_delete_aware_query(...)` helpers and called `.to_dict()` on
`.first()`), and a `db` re-exported by a package (FlexMeasures b79b6dd9)."""
from data import db
from models import Item
from queries import base_query, get_by_name, get_checked, get_or_raise, lookup, with_details


def owner_of(session, name):
    item = get_by_name(session, name)  # expect: ORM201
    return item.owner_id


def replica(session, item_id, details=False):
    q = base_query(session, Item)
    if details:
        q = with_details(q)
    q = with_details(q)
    item = q.filter(Item.id == item_id).first()  # expect: ORM201
    return item.name


def sensor_owner(sensor_id):
    item = db.session.get(Item, sensor_id)  # expect: ORM201
    return item.owner_id


# Silent: the helper raises on a missing row, or the caller checks.
def owner_or_raise(session, name):
    return get_or_raise(session, name).owner_id


def owner_checked_by_helper(session, name):
    return get_checked(session, name).owner_id


def owner_checked_here(session, name):
    item = get_by_name(session, name)
    if item is None:
        return None
    return item.owner_id


def owner_of_looked_up(session, name):
    return lookup(session, name).owner_id
