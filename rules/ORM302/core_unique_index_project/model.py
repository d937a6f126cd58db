"""Core tables held as class attributes and indexed in the class body, as buildbot's
`db/model.py` does; `other_model.py` binds a second `notes` table without the constraint."""
import sqlalchemy as sa

metadata = sa.MetaData()


class Model:
    users_info = sa.Table(
        "users_info",
        metadata,
        sa.Column("uid", sa.Integer, nullable=False),
        sa.Column("attr_type", sa.String(128), nullable=False),
        sa.Column("attr_data", sa.String(128), nullable=False),
    )
    sa.Index("users_info_uid", users_info.c.uid)
    sa.Index("users_info_attrs", users_info.c.attr_type, users_info.c.attr_data, unique=True)

    masters = sa.Table(
        "masters",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("name_hash", sa.String(40), nullable=False, unique=True),
        sa.Column("active", sa.Integer, nullable=False),
    )

    notes = sa.Table(
        "notes",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("owner", sa.Integer),
        sa.Column("body", sa.Text),
        sa.UniqueConstraint("owner", "body"),
    )


tags = sa.Table(
    "tags",
    metadata,
    sa.Column("project", sa.Integer),
    sa.Column("name", sa.String(64)),
    sa.PrimaryKeyConstraint("project", "name"),
)
