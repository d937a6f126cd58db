"""ORM303 look-alikes with relationships: collections loaded with their parent (`lazy=`
`"selectin"`/`"joined"`), kept in use elsewhere in the function, reduced once per turn of a
loop (ORM304's N+1), relationships whose shape the code does not state, and one-row
relationships."""
from sqlalchemy import Column, Float, ForeignKey, Integer, String
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()


class Item(Base):
    __tablename__ = "item"
    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, ForeignKey("orders.id"))
    price = Column(Float)


class Order(Base):
    __tablename__ = "orders"
    id = Column(Integer, primary_key=True)
    customer_id = Column(Integer, ForeignKey("customer.id"))
    items = relationship(Item, lazy="selectin")
    lines = relationship(Item, viewonly=True)
    customer = relationship("Customer")
    notes = relationship("Note")

    def total(self) -> float:
        return sum(i.price for i in self.items)

    def add_line(self, item) -> float:
        self.lines.append(item)
        return sum(i.price for i in self.lines)

    def described(self):
        return len(self.lines), [i.price for i in self.lines]

    def note_count(self) -> int:
        return len(self.notes)  # `Note` is not declared here: one row or many?

    def customer_name(self) -> str:
        return self.customer.name


class Customer(Base):
    __tablename__ = "customer"
    id = Column(Integer, primary_key=True)
    name = Column(String)


def totals(orders: list) -> list:
    return [sum(i.price for i in order.lines) for order in orders]


def plain_objects(order) -> float:
    return sum(i.price for i in order.lines)
