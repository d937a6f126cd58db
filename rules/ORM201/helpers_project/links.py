"""A project function stores the row, then the caller reads it back (zou's Shotgun import:
`projects_service.add_team_member(str(project.id), str(person.id))`, then
`ProjectPersonLink.query.filter_by(project_id=project.id, person_id=person.id).first()`)."""
from data import db
from models import Item


def add_item(name, owner_id):
    db.session.add(Item(name=name, owner_id=owner_id))
    db.session.commit()


def describe_item(name):
    return name.upper()


# Silent: `add_item()` stored an item with exactly the values the lookup filters on.
def import_item(name, owner):
    add_item(str(name), str(owner.id))
    item = Item.query.filter_by(name=name, owner_id=owner.id).first()
    item.number = 1
    db.session.commit()


def import_item_by_key(name, owner):
    add_item(name, owner.id)
    item = Item.query.filter_by(name=name, number=3).first()  # expect: ORM201
    item.number = 1  # `number` was not given to add_item(): it may not match


def import_item_described(name, owner):
    describe_item(name)  # a function that stores nothing
    item = Item.query.filter_by(name=name).first()  # expect: ORM201
    return item.owner_id


def import_item_maybe(name, owner, store):
    if store:
        add_item(name, owner.id)
    item = Item.query.filter_by(name=name, owner_id=owner.id).first()  # expect: ORM201
    return item.number
