"""The lookup's key comes from the caller; whether the row exists depends on what every
caller passes (issue 18: airflow `TaskMap.expand_mapped_task`, superset
`Dashboard.export_dashboards`)."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Run


def expand(session: Session, task, run_id):
    # Called only from a `Run` method, with `self.run_id`: that run exists.
    run = session.scalar(select(Run).where(Run.task == task.name, Run.run_id == run_id))
    return run.id


def parent_label(session: Session, parent_id):
    # Called with `self.parent_id`: a nullable column of another row (NULL for a root).
    parent = session.scalar(select(Run).where(Run.id == parent_id))  # expect: ORM201
    return parent.run_id
