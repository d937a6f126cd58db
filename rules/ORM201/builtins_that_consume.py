"""A None-able result handed to a builtin that iterates or measures it: `dict(None)`,
`len(None)`, `sorted(None)` raise TypeError as surely as `None.attr` raises AttributeError
(issue 18: ansible eda-server returned `dict(project)` for a missing project)."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Project


def project_as_dict(session: Session, project_id):
    project = session.scalars(select(Project).where(Project.id == project_id)).first()  # expect: ORM201
    return dict(project)


def member_count(session: Session, name):
    return len(session.get(Project, name))  # expect: ORM201


def sorted_tags(session: Session, project_id):
    tags = session.scalar(select(Project.tags).where(Project.id == project_id))  # expect: ORM201
    return sorted(tags)


# Silent: checked first, or handed to something that accepts None.
def checked(session: Session, project_id):
    project = session.get(Project, project_id)
    if project is None:
        return {}
    return dict(project)


def printed(session: Session, project_id):
    project = session.get(Project, project_id)
    print(str(project), repr(project), bool(project))
    return isinstance(project, Project)


def defaulted(session: Session, project_id):
    project = session.get(Project, project_id)
    return dict(project) if project else {}


def keyword_argument(session: Session, project_id):
    project = session.get(Project, project_id)
    return dict(value=project)
