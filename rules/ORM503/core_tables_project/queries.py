from sqlalchemy import select

from tables import bundle as cl_bundle


def orphans(connection):
    return connection.execute(
        select(cl_bundle.c.id).where(cl_bundle.c.owner_id is None)  # expect: ORM503:38
    ).fetchall()


def fixed(connection):
    return connection.execute(select(cl_bundle.c.id).where(cl_bundle.c.owner_id.is_(None))).fetchall()


class Settings:
    owner_id = None


def not_a_table(values):
    settings = Settings()
    return [v for v in values if settings.owner_id is None]
