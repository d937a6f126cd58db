from db import Plain, Submission


def unread(source_id):
    return Submission.query.filter(
        Submission.source_id == source_id,
        Submission.downloaded is False,  # expect: ORM503
    ).all()


def unread_fixed(source_id):
    return Submission.query.filter(
        Submission.source_id == source_id,
        Submission.downloaded.is_(False),
    ).all()


def not_a_query(flag):
    return [item for item in Plain.query if item is False]
