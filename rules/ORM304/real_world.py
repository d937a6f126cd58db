"""ORM304 false alarms found in open-source code, kept as silent cases."""
import sqlalchemy as sa
from sqlalchemy import func, select

from ckan.model import State
from mlflow.store.db.utils import get_workspace_table
from mlflow.store.tracking.dbmodels.models import SqlLatestMetric, SqlLoggedModelMetric
from mlflow.utils.search_utils import chunk_list
from superset.models import MODELS

_WORKSPACE_TABLES = ["experiments", "registered_models"]


# mlflow/store/tracking/sqlalchemy_store.py (mlflow 3.18): keys are sent in batches of 100.
def log_metrics(session, run_id, metric_instances):
    metric_keys = [m.metric_name for m in metric_instances]
    metric_key_batches = (metric_keys[i : i + 100] for i in range(0, len(metric_keys), 100))
    for batch in metric_key_batches:
        existing_metrics = (
            session.query(SqlLoggedModelMetric)
            .filter(
                SqlLoggedModelMetric.run_id == run_id,
                SqlLoggedModelMetric.metric_name.in_(batch),
            )
            .all()
        )
        print(existing_metrics)


# mlflow: the second query per batch uses a list computed from the batch's first query.
def update_latest_metrics(session, logged_metrics, metric_key_batches):
    for metric_key_batch in metric_key_batches:
        keys_in_db = (
            session.query(SqlLatestMetric.key)
            .filter(SqlLatestMetric.key.in_(metric_key_batch))
            .all()
        )
        latest_metric_keys_from_db = [record[0] for record in keys_in_db]
        latest = (
            session.query(SqlLatestMetric)
            .filter(SqlLatestMetric.key.in_(latest_metric_keys_from_db))
            .all()
        )
        print(latest)


# mlflow/store/db/workspace_move.py: the batch reaches the query through a helper.
def resolve_names(conn, stmt, table, identities):
    resolved = set()
    for chunk in chunk_list(identities, 500):
        chunk_stmt = stmt.where(_skill_filter_condition(table, chunk))
        resolved.update(row[0] for row in conn.execute(chunk_stmt).fetchall())
    return resolved


# mlflow/store/db/workspace_migration.py: one count per table; the loop picks the table.
def count_rows(conn):
    counts = {}
    for table_name in _WORKSPACE_TABLES + ["extra"]:
        table = get_workspace_table(conn, table_name)
        stmt = sa.select(sa.func.count()).select_from(table).where(table.c.workspace != "default")
        counts[table_name] = conn.execute(stmt).scalar_one()
    return counts


# ckan/lib/dictization/__init__.py (ckan 2.12): each constraint names other columns.
def table_dict_save(session, ModelClass, table_dict, unique_constraints):
    obj = None
    for constraint in unique_constraints:
        params = dict((key, table_dict.get(key)) for key in constraint)
        obj = session.query(ModelClass).filter_by(**params).first()
        if obj and getattr(obj, "state", None) == State.DELETED:
            obj = None
    return obj


# prefect/server/services/db_vacuum.py (prefect 3.9): the newest artifact of each key.
async def next_latest_artifacts(session, db, rows):
    for collection_id, key in rows:
        next_latest = (
            await session.execute(
                sa.select(db.Artifact)
                .where(db.Artifact.key == key)
                .order_by(db.Artifact.created.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        print(collection_id, next_latest)


# superset/migrations/shared/catalogs.py (superset 6.1): one count per model class.
def delete_models_not_in_catalog(session, database, catalog):
    for model, column in MODELS:
        total_rows = (
            session.query(func.count(model.id))
            .filter(getattr(model, column) == database.id)
            .filter(model.catalog != catalog)
            .scalar()
        )
        print(total_rows)


# prefect/server/database/_migrations/versions/*/..._migrates_block_schemas_with_new_secrets_.py
# (prefect 3.9): a migration walks a list of a few configurations written in the file.
BLOCKS_TO_MIGRATE = [
    {"BLOCK_TYPE_NAME": "S3 Storage", "OLD_CHECKSUM": "sha256:1", "NEW_CHECKSUM": "sha256:2"},
    {"BLOCK_TYPE_NAME": "Azure Blob Storage", "OLD_CHECKSUM": "sha256:3", "NEW_CHECKSUM": "sha256:4"},
]


def upgrade(connection, BLOCK_TYPE):
    for block_migration_config in BLOCKS_TO_MIGRATE:
        block_type_result = connection.execute(
            sa.select(BLOCK_TYPE.c.id).where(BLOCK_TYPE.c.name == block_migration_config["BLOCK_TYPE_NAME"])
        ).first()
        print(block_type_result)


def _skill_filter_condition(table, chunk):
    return table.c.name.in_(chunk)
