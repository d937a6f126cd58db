from sqlalchemy import Column, ForeignKey, Integer, String
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    username = Column(String)
    proxies = relationship("Proxy", back_populates="user")
    notes = relationship("Note", lazy="selectin")


class Proxy(Base):
    __tablename__ = "proxies"
    id = Column(Integer, primary_key=True)
    user_id = Column(ForeignKey("users.id"))
    type = Column(String)
    user = relationship("User", back_populates="proxies")


class Note(Base):
    __tablename__ = "notes"
    id = Column(Integer, primary_key=True)
    user_id = Column(ForeignKey("users.id"))
    text = Column(String)
