"""ORM103 stays silent in migration code (an Alembic revision here; also any file under a
`migrations/` or `alembic/` directory): it runs once per database, and a backfill may need
its commit per row. Shape from zou `migrations/versions/legacy/4e3738cdc34c_.py`, where an
UPDATE first gave every row the same id and each new id is committed before the next row.
"""
import uuid

from alembic import op
from sqlalchemy.orm import Session

from models import ProjectTaskTypeLink

revision = "4e3738cdc34c"
down_revision = "6c597e842afa"


def upgrade():
    session = Session(bind=op.get_bind())
    for link in session.query(ProjectTaskTypeLink).all():
        link.id = uuid.uuid4()
        session.add(link)
        session.commit()


def downgrade():
    pass
