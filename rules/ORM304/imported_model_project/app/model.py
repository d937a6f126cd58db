"""Mapped classes of this small project; the other modules import them by name or as a module."""
from sqlalchemy import Boolean, Column, ForeignKey, Integer, String
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()


class Directory(Base):
    __tablename__ = "directory"
    id = Column(Integer, primary_key=True)
    name = Column(String)
    readable = Column(Boolean, default=True)


class Host(Base):
    __tablename__ = "host"
    id = Column(Integer, primary_key=True)
    name = Column(String)
    urls = relationship("HostUrl")


class HostUrl(Base):
    __tablename__ = "host_url"
    id = Column(Integer, primary_key=True)
    host_id = Column(Integer, ForeignKey("host.id"))
    url = Column(String)


class HostCategory(Base):
    __tablename__ = "host_category"
    id = Column(Integer, primary_key=True)
    host_id = Column(Integer)
    name = Column(String)
    directories = relationship("HostCategoryDir", back_populates="host_category")


class HostCategoryDir(Base):
    __tablename__ = "host_category_dir"
    id = Column(Integer, primary_key=True)
    host_category_id = Column(Integer, ForeignKey("host_category.id"))
    up2date = Column(Boolean, default=True)
    directory_id = Column(Integer, ForeignKey("directory.id"))
    directory = relationship("Directory")
    host_category = relationship("HostCategory", back_populates="directories")
