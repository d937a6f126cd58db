"""The session and the bases of the models: `Base.query` is a `query_property()` assigned to
a base that is no class statement (`declarative_base()`), and `ModelBase.q` is a property of
the metaclass of a declarative base, returning `session.query(cls)`."""
from sqlalchemy.orm import DeclarativeMeta, as_declarative, declarative_base, scoped_session, sessionmaker

session = scoped_session(sessionmaker())

Base = declarative_base()
Base.query = session.query_property()


class _ModelMeta(DeclarativeMeta):
    @property
    def q(cls):
        return session.query(cls)

    @property
    def label(cls):
        return cls.__name__.lower()  # a property of the metaclass that is no query

    def get(cls, *a, **kw):
        return session.get(cls, *a, **kw)


@as_declarative(metaclass=_ModelMeta)
class ModelBase:
    pass
