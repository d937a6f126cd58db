"""ORM303: a relationship collection loaded only to count or reduce it. Reading `bill.owers`
(the default `lazy="select"`) loads every related row; the database can compute the value
from the same rows with `with_parent()`."""
from sqlalchemy import Column, Float, ForeignKey, Integer, Numeric, String, Table
from sqlalchemy.orm import backref, declarative_base, relationship

Base = declarative_base()

billowers = Table(
    "billowers", Base.metadata,
    Column("bill_id", Integer, ForeignKey("bill.id")),
    Column("person_id", Integer, ForeignKey("person.id")),
)


class Person(Base):
    __tablename__ = "person"
    id = Column(Integer, primary_key=True)
    weight = Column(Float)


class Bill(Base):
    __tablename__ = "bill"
    id = Column(Integer, primary_key=True)
    amount = Column(Float)
    owers = relationship(Person, secondary=billowers)

    def pay_each(self) -> float:
        # spiral-project-ihatemoney-32d76178
        if self.owers:
            weights = sum(i.weight for i in self.owers)  # expect: ORM303
            return self.amount / weights
        return 0

    def heaviest(self) -> float:
        return max(p.weight for p in self.owers)  # expect: ORM303

    def ower_count(self) -> int:
        return len(self.owers)  # expect: ORM303


class BankAccount(Base):
    __tablename__ = "bank_account"
    id = Column(Integer, primary_key=True)
    name = Column(String)

    @property
    def balance(self):
        # agdsn-pycroft-2f285604: `activities` is the backref of BankAccountActivity.bank_account
        return sum(baa.amount for baa in self.activities)  # expect: ORM303

    def has_large_activity(self, limit) -> bool:
        return any(a.amount > limit for a in self.activities)  # expect: ORM303


class BankAccountActivity(Base):
    __tablename__ = "bank_account_activity"
    id = Column(Integer, primary_key=True)
    bank_account_id = Column(Integer, ForeignKey(BankAccount.id), nullable=False)
    bank_account = relationship(BankAccount, backref=backref("activities", viewonly=True))
    amount = Column(Numeric, nullable=False)
    kind = Column(String)


def balance_of(account: BankAccount):
    return sum(a.amount for a in account.activities if a.kind == "transfer")  # expect: ORM303
