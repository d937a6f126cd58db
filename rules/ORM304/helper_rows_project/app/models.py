"""Mapped classes read by the other modules of this small project."""
from sqlalchemy import Boolean, Column, ForeignKey, Integer, String
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()


class Directory(Base):
    __tablename__ = "directory"
    id = Column(Integer, primary_key=True)
    name = Column(String)
    readable = Column(Boolean, default=True)


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


class Package(Base):
    __tablename__ = "package"
    id = Column(Integer, primary_key=True)
    name = Column(String)
    last_build_id = Column(Integer, ForeignKey("build.id"))


class Build(Base):
    __tablename__ = "build"
    id = Column(Integer, primary_key=True)
    package_id = Column(Integer, ForeignKey("package.id"))
    deps_resolved = Column(Boolean, default=False)
    dependencies = relationship("Dependency", backref="build")


class Dependency(Base):
    __tablename__ = "dependency"
    id = Column(Integer, primary_key=True)
    build_id = Column(Integer, ForeignKey("build.id"))
    name = Column(String)
