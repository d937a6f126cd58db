"""ORM303 stays silent when the statement's filters cover a set of columns the project
declares unique (a `UniqueConstraint`, a unique `Index`, `unique=True`), with one of them
given as `.in_(values)`: at most one row per value the code already holds, so counting them
in SQL saves nothing (apache-superset `daos/dataset.py`, `validate_columns_uniqueness`).
The near misses keep a column out of the unique set, and are reported."""
from typing import List

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Metric, TableColumn, Tag


def validate_columns_uniqueness(session: Session, dataset_id: int, columns_names: List[str]) -> bool:
    dataset_query = (
        session.query(TableColumn.id).filter(
            TableColumn.table_id == dataset_id,
            TableColumn.column_name.in_(columns_names),
        )
    ).all()
    return len(dataset_query) == 0


def validate_metrics_uniqueness(session: Session, dataset_id: int, metrics_names: List[str]) -> bool:
    rows = session.execute(
        select(Metric.id).where(Metric.table_id == dataset_id, Metric.metric_name.in_(metrics_names))
    ).all()
    return len(rows) == 0


def known_tags(session: Session, names: List[str]) -> int:
    tags = session.scalars(select(Tag).where(Tag.name.in_(names))).all()
    return len(tags)


# -- reported ------------------------------------------------------------------------------------
def columns_named_anywhere(session: Session, columns_names: List[str]) -> bool:
    # Without `table_id`, one name matches a column in every table.
    rows = session.query(TableColumn.id).filter(TableColumn.column_name.in_(columns_names)).all()
    return len(rows) == 0  # expect: ORM303


def tags_of_kinds(session: Session, kinds: List[str]) -> int:
    tags = session.scalars(select(Tag).where(Tag.kind.in_(kinds))).all()
    return len(tags)  # expect: ORM303
