"""ORM304 stays silent in an Alembic revision script (module-level `revision`,
`down_revision` and `def upgrade()`): a data migration runs once per database and is not
edited after it is released. Shape from prefect
`server/database/_migrations/versions/*/..._adds_block_type_slug.py` and airflow
`migrations/versions/0101_3_2_0_ui_improvements_for_deadlines.py`.
"""
import sqlalchemy as sa
from alembic import op

revision = "f335f9633eec"
down_revision = "2fe8ef6a6514"
branch_labels = None
depends_on = None


def upgrade():
    connection = op.get_bind()
    meta_data = sa.MetaData()
    meta_data.reflect(connection)
    block_type = meta_data.tables["block_type"]
    block_schema = meta_data.tables["block_schema"]
    for block_type_id, name in connection.execute(sa.select(block_type.c.id, block_type.c.name)).all():
        schemas = connection.execute(
            sa.select(block_schema.c.id).where(block_schema.c.block_type_id == block_type_id)
        ).all()
        for (schema_id,) in schemas:
            connection.execute(sa.update(block_schema).where(block_schema.c.id == schema_id).values(name=name))


def downgrade():
    pass
