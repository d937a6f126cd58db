from sqlalchemy.orm import Query

from app.models import Participant


def for_owner(owner, query: Query) -> Query:
    if owner:
        return query.filter(Participant.status == owner)
    return query


def participants_query(columns, owner=None) -> Query:
    query = Participant.query.with_entities(*columns)
    return for_owner(owner, query)
