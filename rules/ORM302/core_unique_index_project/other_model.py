import sqlalchemy as sa

metadata = sa.MetaData()

# Same name as `Model.notes`, without its unique constraint (nor any other): neither lends
# the other one.
notes = sa.Table(
    "old_notes",
    metadata,
    sa.Column("id", sa.Integer),
    sa.Column("owner", sa.Integer),
    sa.Column("body", sa.Text),
)
