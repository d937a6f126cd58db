"""Near miss of `silent_migration.py`: a module that only has a `revision` variable (no
`down_revision`, no `upgrade()`) is ordinary code, and its unchecked lookup is reported."""
import sqlalchemy as sa

revision = 3


def type_name_of(connection, block_type, block_type_id):
    block_type_result = connection.execute(
        sa.select(block_type.c.name).where(block_type.c.id == block_type_id)
    ).first()  # expect: ORM201
    return block_type_result[0]
