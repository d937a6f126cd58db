"""An async factory and session scope imported from another module, SQLAlchemy's defaults."""
from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import async_session
from .db import session_scope
from .models import User

router = APIRouter()


async def rename(user_id, name):
    async with async_session() as session:
        user = await session.get(User, user_id)
        user.name = name
        await session.commit()
        return {"id": user.id}  # expect: ORM105


async def rename_in_scope(user_id, name):
    async with session_scope() as session:
        user = await session.get(User, user_id)
        user.name = name
    return user.email  # expect: ORM105


@router.post("/users")
async def create(name: str, session: AsyncSession = Depends()):
    user = User(name=name)
    session.add(user)
    await session.commit()
    return user  # expect: ORM105
