"""Issue 18, airflow-maintenance-dags d0787da8: a module-level `settings.Session()` used by
a task function (`python_callable=`): the task ends, nothing commits its deletes."""
from airflow.models import DAG, settings
from airflow.operators.python import PythonOperator

session = settings.Session()


def cleanup(**context):
    for entry in session.query(DAG).all():
        session.delete(entry)  # expect: ORM101


def cleanup_committed(**context):
    for entry in session.query(DAG).all():
        session.delete(entry)
    session.commit()


def not_a_task(entry):
    # Silent: nothing says where this function's caller ends the session.
    session.delete(entry)


dag = DAG("cleanup")
PythonOperator(task_id="cleanup", python_callable=cleanup, dag=dag)
PythonOperator(task_id="cleanup_committed", python_callable=cleanup_committed, dag=dag)
