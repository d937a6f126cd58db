"""Near miss of `silent_rows_by_id_list.py`: `.in_()` on a column that is not the identity
can match any number of rows per value, so counting them in Python is reported."""
from typing import List

from sqlalchemy.orm import Session

from models import TableColumn


def count_columns_of_types(session: Session, types: List[str]) -> int:
    columns = session.query(TableColumn.id).filter(TableColumn.type.in_(types)).all()
    return len(columns)  # expect: ORM303
