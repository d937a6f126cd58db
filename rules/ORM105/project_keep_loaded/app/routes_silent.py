"""Every async factory of this project sets expire_on_commit=False: so do the sessions it hands out."""
from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession

from .db import SessionFactory, get_session, session_scope
from .models import User

router = APIRouter()


async def rename(user_id, name):
    async with SessionFactory() as session:
        user = await session.get(User, user_id)
        user.name = name
        await session.commit()
        return {"id": user.id}


async def rename_in_scope(user_id, name):
    async with session_scope() as session:
        user = await session.get(User, user_id)
        user.name = name
    return user.email


@router.post("/users")
async def create(name: str, session: AsyncSession = Depends(get_session)):
    user = User(name=name)
    session.add(user)
    await session.commit()
    return user
