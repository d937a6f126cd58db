"""A package that re-exports the application's `db` (FlexMeasures `flexmeasures.data`)."""
from data.config import db  # noqa: F401
