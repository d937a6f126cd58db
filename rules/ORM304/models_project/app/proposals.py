from sqlalchemy import Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import relationship

from app.models import Base

proposal_tag = Table(
    "proposal_tag", Base.metadata,
    Column("proposal_id", Integer, ForeignKey("proposal.id")),
    Column("tag_id", Integer, ForeignKey("tag.id")),
)


class Proposal(Base):
    __tablename__ = "proposal"
    id = Column(Integer, primary_key=True)
    title = Column(String)
    # The backref puts `proposals` on Tag, a class of another module.
    tags = relationship("Tag", backref="proposals", secondary=proposal_tag)
