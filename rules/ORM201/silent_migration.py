"""ORM201 stays silent in an Alembic revision script (module-level `revision`,
`down_revision` and `def upgrade()`): a data migration walks rows the earlier revisions
wrote, and on data it does not expect, stopping is the right outcome (the revision does not
complete and the database stays at the previous one). Shape from prefect
`server/database/_migrations/versions/*/2022_05_28_..._adds_block_schema_references_and_block_.py`,
where `block_type_id` is a foreign key read from the `block_schema` rows.
"""
import sqlalchemy as sa
from alembic import op

revision = "2fe6fe6ca16e"
down_revision = "061c7e518b40"
branch_labels = None
depends_on = None


def upgrade():
    connection = op.get_bind()
    meta_data = sa.MetaData()
    meta_data.reflect(connection)
    block_schema = meta_data.tables["block_schema"]
    block_type = meta_data.tables["block_type"]
    schemas = connection.execute(sa.select(block_schema.c.id, block_schema.c.block_type_id))
    for schema_id, block_type_id in schemas:
        block_type_result = connection.execute(
            sa.select(block_type.c.name).where(block_type.c.id == block_type_id)
        ).first()
        block_type_name = block_type_result[0]
        connection.execute(
            sa.update(block_schema).where(block_schema.c.id == schema_id).values(type_name=block_type_name)
        )


def downgrade():
    pass
