from sqlalchemy import Column, ForeignKey, Integer, String
from sqlalchemy.orm import relationship

from app.db import Base, ModelBase


class Participant(Base):
    __tablename__ = "participant"
    id = Column(Integer, primary_key=True)
    status = Column(String)


class PreMember(ModelBase):
    __tablename__ = "pre_member"
    id = Column(Integer, primary_key=True)
    name = Column(String)


class Note:
    """Not mapped: its `q` is a list of notes."""
    q = []


class Visit(Base):
    __tablename__ = "visit"
    id = Column(Integer, primary_key=True)
    participant_id = Column(Integer, ForeignKey("participant.id"))
    # The backref puts `visits`, a collection (the foreign key is here), on Participant.
    participant = relationship(Participant, backref="visits")
    # No foreign key says which side holds one row: the shape is unknown.
    member = relationship(PreMember, backref="visits_seen")
