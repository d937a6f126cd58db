"""ORM304: a function of the module runs the query, and the loop calls it once per item with
the value that picks its rows."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import db
from models import Comment, Host, Service


def export(vulns, columns) -> list:
    # infobyte-faraday-f00d313d: comments per vulnerability, host and service per parent
    rows = []
    hosts = {}
    for vuln in vulns:
        data = _vuln_data(vuln, columns)  # expect: ORM304
        host_id = vuln["parent"]
        if host_id in hosts:
            host = hosts[host_id]
        else:
            host = _host_data(host_id)  # expect: ORM304
            hosts[host_id] = host
        rows.append({**data, **host, **_service_data(service_id=vuln["service"])})  # expect: ORM304
    return rows


def _host_data(host_id) -> dict:
    host = db.session.query(Host).filter(Host.id == host_id).one()
    return {"host_id": host.id, "host_name": host.name}


def _service_data(service_id) -> dict:
    service = db.session.query(Service).get(service_id)
    return {"service_name": service.name if service else None}


def _vuln_data(vuln, columns) -> dict:
    comments = db.session.query(Comment).filter_by(object_type="vulnerability", object_id=vuln["_id"]).all()
    return {"comments": [c.text for c in comments], "columns": columns}


class Repository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def owner_of(self, host_id: int):
        return self.session.scalars(select(Host).where(Host.id == host_id)).first()

    def owners(self, host_ids) -> list:
        return [self.owner_of(host_id) for host_id in host_ids]  # expect: ORM304


def through_a_table_of_callbacks(host_ids, callbacks) -> list:
    return [_host_with_callbacks(host_id, callbacks) for host_id in host_ids]  # expect: ORM304


def _host_with_callbacks(host_id, callbacks):
    host = db.session.query(Host).get(host_id)
    callbacks[0](host)  # a called subscript (superset's `helpers.py` once crashed the rule on one)
    return host
