"""ORM302 stays silent when the statement's `==` filters cover a unique column set of the
Core table they read (a unique `Index` in the class body, `unique=True`, a
`PrimaryKeyConstraint`): at most one row comes back, so `rows[0]` fetches nothing extra
(buildbot `db/users.py`, `findUserByAttr`). The near misses leave a column of the set
unfiltered, use a non-unique index, or read a table whose name another table shares without
the constraint, and are reported."""
import sqlalchemy as sa

from model import tags


class UsersConnector:
    def __init__(self, db):
        self.db = db

    def find_user_by_attr(self, conn, attr_type, attr_data):
        tbl_info = self.db.model.users_info
        q = sa.select(tbl_info.c.uid).where(tbl_info.c.attr_type == attr_type, tbl_info.c.attr_data == attr_data)
        rows = conn.execute(q).fetchall()
        if rows:
            return rows[0].uid
        return None

    def master_active(self, conn, name_hash):
        tbl = self.db.model.masters
        rows = conn.execute(sa.select(tbl.c.active).where(tbl.c.name_hash == name_hash)).fetchall()
        return bool(rows[0].active) if rows else False

    def tag_name(self, conn, project, name):
        rows = conn.execute(sa.select(tags.c.name).where(tags.c.project == project, tags.c.name == name)).fetchall()
        return rows[0].name if rows else None

    # -- reported --------------------------------------------------------------------------------
    def first_attr_of_type(self, conn, attr_type):
        tbl_info = self.db.model.users_info
        rows = conn.execute(sa.select(tbl_info.c.uid).where(tbl_info.c.attr_type == attr_type)).fetchall()
        if rows:
            return rows[0].uid  # expect: ORM302
        return None

    def first_attr_of_user(self, conn, uid):
        # `users_info_uid` is an index, not a unique one: a user has many attributes.
        tbl_info = self.db.model.users_info
        rows = conn.execute(sa.select(tbl_info.c.attr_data).where(tbl_info.c.uid == uid)).fetchall()
        if rows:
            return rows[0].attr_data  # expect: ORM302
        return None

    def first_note(self, conn, owner, body):
        notes = self.db.model.notes
        rows = conn.execute(sa.select(notes.c.id).where(notes.c.owner == owner, notes.c.body == body)).fetchall()
        if rows:
            return rows[0].id  # expect: ORM302
        return None
