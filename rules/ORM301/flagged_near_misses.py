"""ORM301 near misses of `silent_locking_read.py`: the same shapes without a locking read."""
import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Deployment


async def unready_deployments(session: AsyncSession, deployment_ids):
    candidates = (
        select(Deployment.id, Deployment.status)
        .where(Deployment.id.in_(deployment_ids))
        .cte("candidates")
    )
    result = await session.execute(select(candidates.c.id, candidates.c.status))
    rows = result.all()
    return [row.id for row in rows if row.status == "NOT_READY"]  # expect: ORM301


async def pick(session: AsyncSession, ids):
    stmt = select(Deployment).where(Deployment.id.in_(ids))
    deployments = (await session.scalars(stmt)).all()
    return [d for d in deployments if d.status == "READY"]  # expect: ORM301
