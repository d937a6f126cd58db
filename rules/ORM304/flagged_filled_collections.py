"""ORM304: loops over a collection the function fills itself. `found = {}` or `merged = []`
holds as many items as the data puts in it, not the handful the source writes out."""
from typing import Dict, List

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from models import Message


async def per_group_built_with_setdefault(db: AsyncSession, matched) -> list:
    # plastic-labs-honcho-a4ae3729: one context query per session name of the matches
    by_session: Dict[str, list] = {}
    for msg in matched:
        by_session.setdefault(msg.session_name, []).append(msg)
    found = []
    for session_name, messages in by_session.items():
        stmt = select(Message).where(Message.session_name == session_name)
        result = await db.execute(stmt)  # expect: ORM304
        found.append(result.scalars().all())
    return found


async def per_range_of_a_list_built_in_the_function(db: AsyncSession, matches) -> list:
    # plastic-labs-honcho-c50362d5: one query per merged range
    merged: List[tuple] = []
    for match in matches:
        if merged and match.seq <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], match.seq + 2)
        else:
            merged.append((match.seq - 2, match.seq + 2))
    found = []
    for start, end in merged:
        result = await db.execute(select(Message).where(Message.seq.between(start, end)))  # expect: ORM304
        found.append(result.scalars().all())
    return found


async def per_key_stored_by_item(db: AsyncSession, matched) -> list:
    latest = {}
    for msg in matched:
        latest[msg.session_name] = msg
    return [(await db.execute(select(Message).where(Message.session_name == name))).all()  # expect: ORM304
            for name in latest]


def tags_per_message(session: Session, messages) -> dict:
    # issue 18: a lazy `Query` built once and iterated inside the loop runs on every turn
    tags = session.query(Message).filter(Message.kind == "tag")
    found = {}
    for message in messages:
        found[message.id] = [t.name for t in tags if t.channel == message.channel]  # expect: ORM304
    return found
