"""A helper annotated `-> Query` (SQLAlchemy's) whose value comes from another helper: the
annotation says what it returns (RedHatInsights host-inventory 7cf64f26)."""
from app.filters import participants_query
from app.schema import schema_query
from app.models import Participant


def status_counts():
    results = participants_query([Participant.status]).all()
    counts = {}
    for result in results:  # expect: ORM303
        key = ".".join(result)
        if key not in counts:
            counts[key] = 1
        else:
            counts[key] += 1
    return counts


def schema_counts():
    counts = {}
    for result in schema_query().all():
        key = ".".join(result)
        if key not in counts:
            counts[key] = 1
        else:
            counts[key] += 1
    return counts
