"""ORM304 on rows whose class the loop does not spell out (issue 18), on a real engine: a
list a project function fills with the rows a lookup helper returns (fedora-infra-
mirrormanager2-96f89681), and a row looked up on every turn of a loop over items that are
not rows (fedora-infra-koschei-909a1579). The flagged code reads a relationship that loads
on first read, one SELECT per item; the rewrite the message suggests (the related rows of
all the items in one query: `selectinload()` on one query loading every row) returns the
same values while the database receives a fixed number of statements (counted with an
event listener).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

pytest.importorskip("sqlalchemy")
from tests.real_engine.project_harness import Use, fixture_project, statements  # noqa: E402

PACKAGE = "orm30x_row_classes_app"
MODELS = '''
from sqlalchemy import Boolean, Column, ForeignKey, Integer, String
from sqlalchemy.orm import declarative_base, relationship, scoped_session, sessionmaker

Session = scoped_session(sessionmaker())
Base = declarative_base()
Base.query = Session.query_property()


class HostCategory(Base):
    __tablename__ = "host_category"
    id = Column(Integer, primary_key=True)
    name = Column(String)
    directories = relationship("HostCategoryDir")


class HostCategoryDir(Base):
    __tablename__ = "host_category_dir"
    id = Column(Integer, primary_key=True)
    host_category_id = Column(Integer, ForeignKey(HostCategory.id))
    readable = Column(Boolean, default=True)


class Package(Base):
    __tablename__ = "package"
    id = Column(Integer, primary_key=True)
    name = Column(String)
    last_build_id = Column(Integer)


class Build(Base):
    __tablename__ = "build"
    id = Column(Integer, primary_key=True)
    dependencies = relationship("Dependency")


class Dependency(Base):
    __tablename__ = "dependency"
    id = Column(Integer, primary_key=True)
    build_id = Column(Integer, ForeignKey(Build.id))
    name = Column(String)


def get_host_category(name):
    return Session.query(HostCategory).filter(HostCategory.name == name).one_or_none()


def build_of(package):
    return Session.query(Build).filter(Build.id == package.last_build_id).first()
'''
CATEGORIES, DIRECTORIES, PACKAGES, DEPENDENCIES = 12, 5, 15, 4


def fill(models: Any, session: Any) -> None:
    for i in range(1, CATEGORIES + 1):
        session.add(models.HostCategory(id=i, name=f"category {i}", directories=[
            models.HostCategoryDir(readable=(i + j) % 3 != 0) for j in range(DIRECTORIES)]))
    for i in range(1, PACKAGES + 1):
        session.add(models.Package(id=i, name=f"package {i}", last_build_id=100 + i))
        session.add(models.Build(id=100 + i, dependencies=[
            models.Dependency(name=f"dep {i}.{j}") for j in range(DEPENDENCIES)]))


@pytest.fixture()
def project(tmp_path: Path) -> Iterator[Use]:
    """`use(views_source)`: lint `views.py` against the models, import both, fill an
    in-memory database; returns (findings, the views module's namespace)."""
    yield from fixture_project(tmp_path, PACKAGE, MODELS, fill)


def test_rows_a_helper_appends_then_one_query_with_selectinload(project) -> None:
    found, views = project("""
        from sqlalchemy.orm import selectinload
        from orm30x_row_classes_app import models


        def host_categories(names):
            result = []
            for name in names:
                hc = models.get_host_category(name)
                if hc is not None:
                    result.append(hc)
            return result


        def unreadable(names):
            count = 0
            for hc in host_categories(names):
                for hcd in hc.directories:
                    if not hcd.readable:
                        count += 1
            return count


        def unreadable_at_once(names):
            count = 0
            rows = models.HostCategory.query.options(selectinload(models.HostCategory.directories)) \\
                .filter(models.HostCategory.name.in_(names)).all()
            for hc in rows:
                for hcd in hc.directories:
                    if not hcd.readable:
                        count += 1
            return count
    """)
    # The lookup per name (line 9) and the directories per row (line 18).
    assert found == [(9, "ORM304"), (18, "ORM304")]
    names = [f"category {i}" for i in range(1, CATEGORIES + 1)]
    per_row, per_row_count = statements(views, "unreadable", names)
    at_once, at_once_count = statements(views, "unreadable_at_once", names)
    assert per_row == at_once and per_row == sum(1 for i in range(1, CATEGORIES + 1)
                                                 for j in range(DIRECTORIES) if (i + j) % 3 == 0)
    assert per_row_count == 2 * CATEGORIES and at_once_count == 2


def test_row_looked_up_per_item_then_its_relationship_in_one_query(project) -> None:
    found, views = project("""
        from sqlalchemy.orm import selectinload
        from orm30x_row_classes_app import models


        def dependency_names(packages):
            found = {}
            for package in packages:
                build = models.build_of(package)
                if build:
                    found[package.name] = sorted(d.name for d in build.dependencies)
            return found


        def dependency_names_at_once(packages):
            ids = [package.last_build_id for package in packages]
            builds = models.Build.query.options(selectinload(models.Build.dependencies)) \\
                .filter(models.Build.id.in_(ids)).all()
            by_id = {build.id: build for build in builds}
            return {package.name: sorted(d.name for d in by_id[package.last_build_id].dependencies)
                    for package in packages if package.last_build_id in by_id}


        def changes():
            return dependency_names(models.Package.query.all())


        def changes_at_once():
            return dependency_names_at_once(models.Package.query.all())
    """)
    assert found == [(11, "ORM304")]
    per_item, per_item_count = statements(views, "changes")
    at_once, at_once_count = statements(views, "changes_at_once")
    assert per_item == at_once and len(per_item) == PACKAGES
    assert per_item_count == 1 + 2 * PACKAGES and at_once_count == 3
