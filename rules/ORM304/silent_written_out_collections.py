"""ORM304 look-alikes of filled collections: a collection written out in the source and only
read afterwards stays a fixed, small loop, however it is read."""
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from models import Message


async def written_out_then_read(db: AsyncSession) -> list:
    kinds = {"question": 1, "answer": 2}
    found = []
    for kind, weight in kinds.items():
        print(kinds.get(kind), weight)
        found.append((await db.execute(select(Message).where(Message.kind == kind))).all())
    return found


async def written_out_and_passed_to_a_reader(db: AsyncSession) -> list:
    channels = ["email", "sms"]
    print(", ".join(channels), len(channels))
    return [(await db.execute(select(Message).where(Message.channel == c))).all() for c in channels]


def query_loaded_once(session: Session, messages) -> dict:
    tags = session.query(Message).filter(Message.kind == "tag").all()
    return {m.id: [t.name for t in tags if t.channel == m.channel] for m in messages}


def query_rerun_after_writes(session: Session, messages) -> None:
    pending = session.query(Message).filter(Message.kind == "pending")
    for message in messages:
        for other in pending:
            session.delete(other)
        session.commit()

