"""Sign-up and profile changes."""
from sqlalchemy import select

from .db import SessionLocal
from .models import Address, User


def send_welcome_email(address: str) -> None:
    print(f"welcome mail to {address}")


def register(name: str, email: str) -> None:
    with SessionLocal() as session:
        user = User(name=name, addresses=[Address(email_address=email)])
        session.add(user)  # mistake: the with-block ends without commit, the new user is discarded


def invite(name: str, email: str, send_mail: bool) -> None:
    with SessionLocal() as session:
        session.add(User(name=name))  # mistake: committed only when send_mail is true
        if send_mail:
            send_welcome_email(email)
            session.commit()


def rename(user_id: int, new_name: str) -> None:
    with SessionLocal() as session:
        user = session.get(User, user_id)
        user.name = new_name  # mistake: session.get() returns None for an unknown id
        session.commit()


def primary_email(name: str) -> str:
    with SessionLocal() as session:
        user = session.scalars(select(User).where(User.name == name)).first()
        return user.addresses[0].email_address  # mistake: .first() returns None when nobody matches
