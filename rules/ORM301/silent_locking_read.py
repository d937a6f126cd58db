"""A locking read (`SELECT ... FOR UPDATE`) filtered in Python: the read locks every row it
returns, so moving the filter into it changes which rows are locked (issue 7, prefect)."""
import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Deployment


# prefect `mark_deployments_ready`: lock every deployment of the batch in id order (no
# deadlocks), update them all, and emit events only for the ones that were not ready.
async def mark_deployments_ready(session: AsyncSession, deployment_ids, work_queue_ids):
    locked = (
        select(Deployment.id, Deployment.status)
        .where(sa.or_(Deployment.id.in_(deployment_ids), Deployment.work_queue_id.in_(work_queue_ids)))
        .order_by(Deployment.id)
        .with_for_update()
        .cte("locked")
    )
    result = await session.execute(select(locked.c.id, locked.c.status))
    rows = result.all()
    if not rows:
        return []
    unready = [row.id for row in rows if row.status == "NOT_READY"]
    await session.execute(
        sa.update(Deployment).where(Deployment.id.in_(select(locked.c.id))).values(status="READY")
    )
    return unready


async def lock_then_pick(session: AsyncSession, ids):
    stmt = select(Deployment).where(Deployment.id.in_(ids)).with_for_update()
    deployments = (await session.scalars(stmt)).all()
    return [d for d in deployments if d.status == "READY"]
