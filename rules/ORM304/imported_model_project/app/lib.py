"""Lookup helpers of the project: each returns rows of a known mapped class."""
from app import model


def get_host_category(session, host_id, name):
    query = session.query(model.HostCategory).filter(
        model.HostCategory.host_id == host_id, model.HostCategory.name == name)
    return query.one_or_none()


def get_hosts(session):
    return session.query(model.Host).all()
