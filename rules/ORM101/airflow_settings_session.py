"""Airflow's `settings.Session` is a sessionmaker: a DAG callable that calls it owns the
session and must commit (issue 18: teamclairvoyant's airflow-maintenance-dags deleted rows
with `session.delete()` and returned without a commit)."""
from airflow import settings
from airflow.models import DagModel


def clear_missing_dags():
    session = settings.Session()
    for dag in session.query(DagModel).all():
        if dag.fileloc is None:
            session.delete(dag)  # expect: ORM101
    session.close()


def clear_missing_dags_committed():
    session = settings.Session()
    for dag in session.query(DagModel).all():
        if dag.fileloc is None:
            session.delete(dag)
    session.commit()
    session.close()
