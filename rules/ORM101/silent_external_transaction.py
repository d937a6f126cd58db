"""ORM101 look-alikes, class B: a session joined to a Connection that is in a transaction
someone else ends (SQLAlchemy's "joining a Session into an external transaction"). Once
flushed, the rows belong to that transaction; closing the session does not discard them.

Shapes from SQLAlchemy's test fixtures (`insert_data(cls, connection)`, called inside
`with engine.begin() as connection:`), `test/orm/test_session.py`,
`test/orm/test_relationships.py`, and Alembic data migrations.
"""
from alembic import op
from sqlalchemy import Connection, create_engine, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from models import Address, User

engine = create_engine("sqlite://")
SessionLocal = sessionmaker(engine)


class Fixture:
    @classmethod
    def insert_data(cls, connection):
        sess = Session(connection)
        sess.add_all([User(name="a"), User(name="b")])
        sess.flush()


def flush_is_the_assertion(connection):
    c1 = User(name="c1")
    with Session(connection) as sess:
        sess.add(c1)
        # test that no error is raised.
        sess.flush()


def schema_translate(connection, insert):
    sess = Session(
        connection,
        execution_options={"schema_translate_map": {"placeholder": "test_schema"}},
    )
    if insert:
        sess.add(User(name="u1"))
        sess.flush()
    else:
        sess.add(User(name="u1"))
        sess.flush()
        u1 = sess.scalars(select(User)).first()
        sess.delete(u1)
        sess.flush()


def aliased_connection(connection):
    c = connection
    s = Session(bind=c)
    s.add(User(name="first"))
    s.flush()


def annotated_connection(db: Connection):
    with Session(bind=db) as session:
        session.add(User(name="typed"))
        session.flush()


async def async_connection(conn: AsyncConnection):
    async with AsyncSession(bind=conn) as session:
        session.add(User(name="async"))
        await session.flush()


def maker_bound_to_connection(connection):
    with SessionLocal(bind=connection) as session:
        session.add(User(name="maker"))
        session.flush()


def autoflush_through_a_query(connection):
    session = Session(connection)
    session.add(User(name="q"))
    return session.scalars(select(User)).all()


def upgrade():
    # Alembic data migration: the migration's transaction commits the rows.
    session = Session(bind=op.get_bind())
    session.add(User(name="admin"))
    session.flush()


def upgrade_with_a_name():
    bind = op.get_bind()
    session = Session(bind=bind)
    session.merge(User(id=1, name="admin"))
    session.flush()


def engine_begin_block():
    with engine.begin() as conn:
        session = Session(bind=conn)
        session.add(Address(email="a@example.com"))
        session.flush()


def joined_to_another_session(outer: Session):
    inner = Session(bind=outer.connection())
    inner.add(User(name="inner"))
    inner.flush()
    inner.close()


class Repository:
    def __init__(self, connection):
        self.connection = connection

    def save(self, user):
        with Session(self.connection) as session:
            session.add(user)
            session.flush()
