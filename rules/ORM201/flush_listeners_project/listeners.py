"""Mapper flush listeners that look up a row the object being written refers to (issue 18,
precision: superset `security/manager.py`, SQLAlchemy `examples/nested_sets`). The flush
writes what the object refers to first, and a NOT NULL foreign key that named no row would
have failed the INSERT; a nullable one may be NULL."""
from sqlalchemy import event, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper, Session

from models import Database, Dataset, Node

session = Session()


@event.listens_for(Dataset, "after_insert")
def name_permission(mapper, connection, target):
    database = session.get(Database, target.database_id)  # NOT NULL foreign key: silent
    return f"[{database.database_name}].[{target.table_name}]"


class SecurityManager:
    # Registered elsewhere (`event.listen(Dataset, "after_insert", ...)` calls it with the
    # listener's arguments): the signature and the annotation say what it is.
    def dataset_after_insert(self, mapper: Mapper, connection: Connection, target: "Dataset") -> None:
        database = session.query(Database).get(target.database_id)
        self.grant(database.database_name)

    def grant(self, name):
        return name


def on_update(mapper, connection, node):
    owner = session.get(Database, node.owner_id)  # `Mapped[int]`, not Optional: NOT NULL
    node.depth = len(owner.database_name)


event.listen(Node, "before_update", on_update)


@event.listens_for(Node, "before_insert")
def nest(mapper, connection, instance):
    if instance.parent:
        # An object the target refers to, in hand: written before its child.
        depth = connection.scalar(select(Node.depth).where(Node.id == instance.parent.id))
        instance.depth = depth + 1


# -- flagged: the key may name no row --------------------------------------------------------------
@event.listens_for(Node, "before_insert")
def nest_by_column(mapper, connection, target):
    parent = session.get(Node, target.parent_id)  # expect: ORM201
    target.depth = parent.depth + 1  # a root node has no parent: `parent_id` is NULL


@event.listens_for(Dataset, "after_insert")
def by_name(mapper, connection, target):
    database = session.scalars(select(Database).filter_by(database_name="main")).first()  # expect: ORM201
    return database.id  # not the target's key: nothing says that row exists


def not_a_listener(session: Session, target):
    database = session.get(Database, target.database_id)  # expect: ORM201
    return database.database_name
