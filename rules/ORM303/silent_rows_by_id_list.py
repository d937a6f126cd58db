"""ORM303 stays silent when the statement keeps only rows whose `id` is in a list the code
sends (`.in_(ids)`): at most one row per value, so counting them in Python handles no more
than the list the code already holds. Shape from apache-superset `daos/dataset.py`
(`validate_columns_exist`).
"""
from typing import List

from sqlalchemy.orm import Session

from models import TableColumn


def validate_columns_exist(session: Session, dataset_id: int, columns_ids: List[int]) -> bool:
    dataset_query = (
        session.query(TableColumn.id).filter(
            TableColumn.table_id == dataset_id, TableColumn.id.in_(columns_ids)
        )
    ).all()
    return len(columns_ids) == len(dataset_query)
