"""ORM304 look-alikes of a helper called in a loop: the helper's query does not depend on
the argument, batches it, runs on a session of its own, picks the newest row per item,
or the loop is a handful of literals."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import db, SessionLocal
from models import Comment, Host


def render(items) -> list:
    return [_formatted(item) for item in items]


def _formatted(item) -> dict:
    count = db.session.query(Comment).filter(Comment.kind == "note").count()
    return {"item": item, "notes": count}


def by_batches(batches) -> list:
    return [_hosts_in(batch) for batch in batches]


def _hosts_in(batch) -> list:
    return db.session.query(Host).filter(Host.id.in_(batch)).all()


def isolated_per_item(host_ids) -> list:
    return [_in_own_session(host_id) for host_id in host_ids]


def _in_own_session(host_id):
    with SessionLocal() as session:
        return session.get(Host, host_id)


def newest_comment_of_each(hosts) -> list:
    return [_newest_comment(host.id) for host in hosts]


def _newest_comment(host_id):
    return db.session.query(Comment).filter(Comment.host_id == host_id).order_by(Comment.id.desc()).first()


def written_out_kinds() -> list:
    return [_of_kind(kind) for kind in ("note", "todo")]


def _of_kind(kind) -> list:
    return db.session.query(Comment).filter(Comment.kind == kind).all()


def loops_inside_the_helper(session: Session, groups) -> list:
    return [_first_per_group(session, group) for group in groups]


def _first_per_group(session: Session, group) -> list:
    found = []
    for host_id in group:
        found.append(host_id)
    return session.scalars(select(Host).where(Host.id.in_(found))).all()


def unrelated_argument(items, host_id) -> list:
    return [_host_of(host_id, item) for item in items]


def _host_of(host_id, item):
    print(item)
    return db.session.query(Host).get(host_id)


def remove_all(task_ids) -> None:
    # per-item work of which the lookup is a part (zou's `remove_task` in a loop)
    for task_id in task_ids:
        remove_task(task_id)


def remove_task(task_id) -> dict:
    task = db.session.query(Host).get(task_id)
    db.session.delete(task)
    db.session.commit()
    return {"id": task_id}


def tags_for(names) -> list:
    return [get_or_create_tag(name) for name in names]


def get_or_create_tag(name):
    tag = db.session.query(Comment).filter_by(text=name).first()
    if tag is None:
        tag = Comment(text=name)
        db.session.add(tag)
    return tag


def renamed(hosts, name) -> None:
    for host in hosts:
        rename(host.id, name)


def rename(host_id, name):
    host = db.session.query(Host).get(host_id)
    host.name = name
    return host


def descriptors_from_snapshot(project_id, snapshot) -> list:
    # zou's `_create_descriptor_from_snapshot`: get-or-create through another module's helper
    return [_descriptor_from_snapshot(project_id, descriptor) for descriptor in snapshot]


def _descriptor_from_snapshot(project_id, descriptor):
    existing = db.session.query(Comment).filter_by(host_id=project_id, text=descriptor["name"]).first()
    if existing is not None:
        return existing
    return add_descriptor(project_id, descriptor["name"])


def add_descriptor(project_id, name):
    return None

