"""ORM301: a relationship collection loaded in full to find one related row by a column."""
from sqlalchemy import Column, ForeignKey, Integer, String
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()


class Service(Base):
    __tablename__ = "service"
    id = Column(Integer, primary_key=True)
    collections = relationship("Collection", back_populates="service", uselist=True)

    def collection_named(self, name: str):
        # issue 18: `for c in service.collections: if c.name == name`
        for collection in self.collections:  # expect: ORM301
            if collection.name == name:
                return collection
        return None


class Collection(Base):
    __tablename__ = "collection"
    id = Column(Integer, primary_key=True)
    name = Column(String)
    service_id = Column(Integer, ForeignKey(Service.id))
    service = relationship(Service, back_populates="collections")


def first_public(service: Service):
    return next((c for c in service.collections if c.name == "public"), None)  # expect: ORM301
