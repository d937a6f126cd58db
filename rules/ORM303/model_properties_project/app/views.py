"""The model classes come from another module; what `.query` and `.q` are is known only
from the project: a `query_property()` on an imported base (Dallinger 7567bf80) and a
metaclass property (pycroft 2339e890)."""
from app.models import Note, Participant, PreMember


def is_in_progress():
    # Dallinger-Dallinger-7567bf80
    return bool(Participant.query.all())  # expect: ORM303


def overview():
    # agdsn-pycroft-2339e890
    return {"member_requests": len(PreMember.q.all())}  # expect: ORM303


def first_member():
    return PreMember.q.first() is not None


def member_requests():
    members = PreMember.q.all()
    return len(members), members  # the list is returned too: the count is free


def note_count():
    return len(Note.q)  # a plain class attribute, no query


def label_length():
    return len(PreMember.label)  # a metaclass property that returns no query


def visit_count(participant: Participant):
    # a backref collection of a class declared in another module
    return len(participant.visits)  # expect: ORM303


def seen_count(member: PreMember):
    return len(member.visits_seen)  # one row or many: the code does not say
