"""Models imported from another module of a plain SQLAlchemy project (`Base.query =
db_session.query_property()`): SQLAlchemy's own `or_()` shows they are entities."""
from sqlalchemy.sql import and_, or_

from db.models import Adventures, Nodes
from db.settings import Flags


def adventures_for(node_id):
    # rcbops/opencenter f8dfe807: adventures with a NULL backend were never matched
    stmt = or_(Adventures.backend == Nodes.backend,
               Adventures.backend is None)  # expect: ORM503:16
    return Adventures.query.join(Nodes, and_(stmt, Nodes.id == node_id)).all()


def fixed(node_id):
    stmt = or_(Adventures.backend == Nodes.backend, Adventures.backend == None)  # noqa: E711
    return Adventures.query.join(Nodes, and_(stmt, Nodes.id == node_id)).all()


def python_flag_in_a_conjunction(node_id):
    # `Flags` is only tested with `is`: a settings object, not a model.
    return Nodes.query.filter(and_(Nodes.id == node_id, Flags.strict is None)).all()
