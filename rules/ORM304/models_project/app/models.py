"""Mapped classes, their relationships and their helpers, read by other modules."""
from sqlalchemy import Boolean, Column, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, backref, declarative_base, relationship, scoped_session, sessionmaker

Session = scoped_session(sessionmaker())
Base = declarative_base()
Base.query = Session.query_property()


class ModelMixin:
    @classmethod
    def get(cls, id):
        return Session.query(cls).get(id)

    @classmethod
    def all(cls, **kwargs):
        query = Session.query(cls)
        if kwargs:
            query = query.filter_by(**kwargs)
        return query.all()

    @classmethod
    def create(cls, **kwargs):
        row = cls(**kwargs)
        Session.add(row)
        Session.commit()
        return row


class Host(Base):
    __tablename__ = "host"
    id = Column(Integer, primary_key=True)
    name = Column(String)


class Switch(Base):
    __tablename__ = "switch"
    host_id = Column(Integer, ForeignKey(Host.id), primary_key=True)
    host: Mapped[Host] = relationship()
    site = relationship(Host, lazy="joined", viewonly=True)


class User(Base, ModelMixin):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    username = Column(String)
    proxies = relationship("Proxy", back_populates="user")


class Proxy(Base):
    __tablename__ = "proxies"
    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("users.id"))
    user = relationship("User", back_populates="proxies")
    type = Column(String)


class Mailbox(Base, ModelMixin):
    __tablename__ = "mailbox"
    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("users.id"))
    verified = Column(Boolean)


class Submission(Base, ModelMixin):
    __tablename__ = "submissions"
    id = Column(Integer, primary_key=True)
    downloaded = Column(Boolean)
    filename = Column(String)

    @property
    def seen(self) -> bool:
        return bool(self.downloaded or self.seen_files.count())

    @property
    def is_file(self) -> bool:
        return self.filename.endswith(".gpg")  # no query


class SeenFile(Base):
    __tablename__ = "seen_files"
    id = Column(Integer, primary_key=True)
    file_id = Column(Integer, ForeignKey("submissions.id"))
    file = relationship("Submission", backref=backref("seen_files", lazy="dynamic"))
