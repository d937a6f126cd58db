"""ORM304 stays silent in a helper of a migrations tree (a file under `migrations/` or
`alembic/`): only revisions call it, and each revision runs once per database. Shape from
apache-superset `superset/migrations/shared/catalogs.py` (`downgrade_schema_perms`).
"""
from sqlalchemy.orm import Session

from models import Permission, ViewMenu


def downgrade_schema_perms(session: Session, names):
    for name in names:
        view_menu = session.query(ViewMenu).filter_by(name=name).one_or_none()
        if view_menu is not None:
            session.query(Permission).filter_by(view_menu_id=view_menu.id).delete()
