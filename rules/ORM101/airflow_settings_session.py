"""Airflow's `settings.Session` is a sessionmaker: a DAG callable that calls it owns the
session and must commit (issue 18: teamclairvoyant's airflow-maintenance-dags deleted rows
with `session.delete()` and returned without a commit)."""
import logging

from airflow import settings
from airflow.models import DagModel


def clear_missing_dags():
    session = settings.Session()
    # Formatting or logging the session keeps nobody else responsible for it.
    logging.info("session: " + str(session))
    print(repr(session))
    for dag in session.query(DagModel).all():
        if dag.fileloc is None:
            session.delete(dag)  # expect: ORM101
    session.close()


def handed_on(registry):
    session = settings.Session()
    registry.append(session)  # someone else ends it
    for dag in session.query(DagModel).all():
        session.delete(dag)


def clear_missing_dags_committed():
    session = settings.Session()
    for dag in session.query(DagModel).all():
        if dag.fileloc is None:
            session.delete(dag)
    session.commit()
    session.close()


def logged_by_a_logger():
    log = logging.getLogger(__name__)
    session = settings.Session()
    log.info("session %s", session)
    for dag in session.query(DagModel).all():
        session.delete(dag)  # expect: ORM101
    session.close()


def handed_to_a_catalog(catalog):
    session = settings.Session()
    catalog.info(session)  # not a logger: it may keep the session and end it
    for dag in session.query(DagModel).all():
        session.delete(dag)
