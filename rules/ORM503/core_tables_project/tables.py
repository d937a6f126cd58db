"""Core tables defined in one module and filtered in another (issue 18: codalab's
`from codalab.model.tables import bundle as cl_bundle`)."""
from sqlalchemy import Column, Integer, MetaData, String, Table

metadata = MetaData()

bundle = Table(
    "bundle",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("state", String),
    Column("owner_id", Integer, nullable=True),
)
