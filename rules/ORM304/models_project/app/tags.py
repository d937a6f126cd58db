from sqlalchemy import Column, Integer, String

from app.models import Base


class Tag(Base):
    __tablename__ = "tag"
    id = Column(Integer, primary_key=True)
    tag = Column(String)
