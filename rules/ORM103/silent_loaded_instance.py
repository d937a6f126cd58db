"""ORM103 stays silent when the loop adds an instance it has just read from the database:
`add()` of a loaded instance is a no-op, the loop updates existing rows one at a time rather
than inserting one row per item. Shape from flaskbb `management/models.py` (`Setting.update`,
through `cls.query`, which the analysis does not know as a query: `.first()` says enough).
"""
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Setting


class SettingStore:
    @classmethod
    def update(cls, session: Session, settings: dict) -> None:
        for key, value in settings.items():
            setting = cls.query.filter(Setting.key == key.lower()).first()
            setting.value = value
            session.add(setting)
            session.commit()


def rename_all(session: Session, suffix: str) -> None:
    for setting in session.scalars(select(Setting)).all():
        setting.key = setting.key + suffix
        session.add(setting)
        session.commit()
