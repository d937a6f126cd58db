"""ORM304 stays silent on a query that runs on a session opened inside the loop: one
session per item is deliberate (here a stream that gives its connection back between two
items, so a slow client holds no connection). Shape from airflow
`api_fastapi/core_api/routes/ui/grid.py`.
"""
import json

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from models import TaskInstance

SessionLocal = sessionmaker()


def stream_task_instances(dag_id, run_ids):
    for run_id in run_ids:
        with SessionLocal() as session:
            rows = session.execute(
                select(TaskInstance.task_id, TaskInstance.state)
                .where(TaskInstance.dag_id == dag_id)
                .where(TaskInstance.run_id == run_id)
            ).all()
        yield json.dumps([list(row) for row in rows]) + "\n"
