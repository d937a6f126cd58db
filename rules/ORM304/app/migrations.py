"""Near miss of `migrations/shared/catalogs.py`: a module *named* `migrations.py` in the
application is ordinary code (only a `migrations/` or `alembic/` directory makes a tree of
migration code), so its query per item is reported."""
from sqlalchemy.orm import Session

from models import Permission, ViewMenu


def schema_perms(session: Session, names):
    for name in names:
        view_menu = session.query(ViewMenu).filter_by(name=name).one_or_none()  # expect: ORM304
        if view_menu is not None:
            session.query(Permission).filter_by(view_menu_id=view_menu.id).delete()
