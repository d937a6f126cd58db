"""ORM304: lazy loads on rows whose class the loop does not spell out: an element of a tuple
target (`session.query(A, B)`, `zip()`, `enumerate()`), a loop variable whose name the
function binds elsewhere too, the copy of a relationship (`list(hc.directories)`), and a row
looked up on every turn (`build = latest_build(package)`)."""
from sqlalchemy import Column, ForeignKey, Integer, String, select
from sqlalchemy.orm import Session, declarative_base, relationship

Base = declarative_base()


class Package(Base):
    __tablename__ = "package"
    id = Column(Integer, primary_key=True)
    name = Column(String)


class Build(Base):
    __tablename__ = "build"
    id = Column(Integer, primary_key=True)
    package_id = Column(Integer, ForeignKey(Package.id))
    dependencies = relationship("Dependency")


class Dependency(Base):
    __tablename__ = "dependency"
    id = Column(Integer, primary_key=True)
    build_id = Column(Integer, ForeignKey(Build.id))
    name = Column(String)
    directory_id = Column(Integer, ForeignKey("directory.id"))
    directory = relationship("Directory")


class Directory(Base):
    __tablename__ = "directory"
    id = Column(Integer, primary_key=True)
    readable = Column(Integer)


def pairs(session: Session) -> dict:
    found = {}
    for package, build in session.query(Package, Build).filter(Build.package_id == Package.id):
        found[package.name] = [d.name for d in build.dependencies]  # expect: ORM304
    return found


def zipped(session: Session, names: list) -> dict:
    builds = session.scalars(select(Build)).all()
    return {name: len(build.dependencies) for name, build in zip(names, builds)}  # expect: ORM304


def numbered(session: Session) -> list:
    builds = session.scalars(select(Build)).all()
    return [(i, len(b.dependencies)) for i, b in enumerate(builds)]  # expect: ORM304


def name_used_twice(session: Session, keys: list) -> int:
    # fedora-infra-mirrormanager2-96f89681: `build` is bound by two loops of the function
    total = 0
    for build, name in keys:
        total += len(name)
    for build in session.scalars(select(Build)):
        total += len(build.dependencies)  # expect: ORM304
    return total


def copied_relationship(session: Session) -> int:
    # fedora-infra-mirrormanager2-96f89681: `list(hc.directories)`, then each row's directory
    unreadable = 0
    build = session.get(Build, 1)
    for dependency in list(build.dependencies):
        if dependency.directory is not None and not dependency.directory.readable:  # expect: ORM304
            unreadable += 1
    return unreadable


def latest_build(session: Session, package: Package):
    return session.query(Build).filter(Build.package_id == package.id).order_by(Build.id.desc()).first()


def compare_dependencies(session: Session, packages: list, wanted: list) -> list:
    # fedora-infra-koschei-909a1579: the build of each package is looked up on every turn,
    # then its dependencies are loaded on first read
    changes = []
    for package, names in zip(packages, wanted):
        build = latest_build(session, package)
        if build:
            old = {d.name for d in build.dependencies}  # expect: ORM304
            changes.append(old - set(names))
    return changes

