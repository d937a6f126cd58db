"""ORM302 false alarms found in open-source code, kept as silent cases."""
import sqlalchemy as sa

from mlflow.exceptions import MlflowException
from mlflow.store.tracking.dbmodels.models import SqlExperimentTag


# mlflow/store/tracking/sqlalchemy_store.py (mlflow 3.18): the rows are counted to check
# that the tag is unique, so all of them must be fetched before `[0]`.
def delete_experiment_tag(session, experiment_id, key):
    filtered_tags = (
        session.query(SqlExperimentTag)
        .filter_by(experiment_id=experiment_id, key=key)
        .all()
    )
    if len(filtered_tags) == 0:
        raise MlflowException(f"No tag with name: {key}")
    elif len(filtered_tags) > 1:
        raise MlflowException("Bad data in database - tags must have a single unique value.")
    session.delete(filtered_tags[0])


# prefect/server/events/ordering/db.py (prefect 3.9): `follower` is a JSON column holding
# an event; `e.occurred` is a field of that Python value, not a column of the table.
async def get_followers(db, session, scope, leader):
    query = sa.select(db.AutomationEventFollower.follower).where(
        db.AutomationEventFollower.scope == scope,
        db.AutomationEventFollower.leader_event_id == leader.id,
    )
    result = await session.execute(query)
    followers = result.scalars().all()
    return sorted(followers, key=lambda e: e.occurred)
