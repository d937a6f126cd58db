from sqlalchemy import Column, ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Session


class Base(DeclarativeBase):
    pass


class Dashboard(Base):
    __tablename__ = "dashboards"
    id = Column(Integer, primary_key=True)
    title = Column(String)

    @classmethod
    def export(cls, session: Session, dashboard_ids):
        copies = []
        for dashboard_id in dashboard_ids:
            dashboard_id = int(dashboard_id)
            # Every caller passes ids read from queried dashboards (export_all.py).
            dashboard = session.query(Dashboard).filter_by(id=dashboard_id).first()
            copies.append(dashboard.title)
        return copies

    @classmethod
    def export_one(cls, session: Session, dashboard_id):
        dashboard = session.get(Dashboard, dashboard_id)  # expect: ORM201
        return dashboard.title  # one caller passes an id from the request (views.py)


class Run(Base):
    __tablename__ = "runs"
    id = Column(Integer, primary_key=True)
    run_id = Column(String, nullable=False)
    task = Column(String)
    parent_id = Column(Integer, ForeignKey("runs.id"))

    def schedule(self, session, tasks):
        from tasks import expand, parent_label

        def expand_each(task):
            # A closure: the call is still made with this run's own key.
            return expand(session, task, self.run_id)

        labels = [parent_label(session, self.parent_id)]
        return [expand_each(task) for task in tasks] + labels
