from models import Dashboard


def export_all(session):
    dashboards = session.query(Dashboard)
    ids = set()
    for dashboard in dashboards:
        ids.add(dashboard.id)
    return Dashboard.export(session, ids)


def export_listed(session):
    return Dashboard.export(session, {row.id for row in session.query(Dashboard).all()})


def export_first(session):
    for dashboard in session.query(Dashboard).all():
        return Dashboard.export_one(session, dashboard.id)
