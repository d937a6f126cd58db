"""Lookup helpers: each returns one row of a known class."""
from sqlalchemy.orm import selectinload

from app import models


def get_host_category(session, host_id, name):
    query = session.query(models.HostCategory).filter(
        models.HostCategory.host_id == host_id, models.HostCategory.name == name)
    return query.one_or_none()


def get_host_category_with_directories(session, host_id, name):
    query = session.query(models.HostCategory).options(selectinload(models.HostCategory.directories)).filter(
        models.HostCategory.host_id == host_id, models.HostCategory.name == name)
    return query.one_or_none()
