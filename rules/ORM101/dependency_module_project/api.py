"""FastAPI handlers whose session comes from a dependency in another module that closes it
without committing (issue 18: qualicharge 9c250f6f, `/statique/bulk`)."""
from fastapi import APIRouter, Depends
from sqlmodel import Session

from database import get_committing_session, get_factory_session, get_session
from importer import Importer
from models import Item

router = APIRouter()


@router.post("/item")
def create_item(name: str, session: Session = Depends(get_session)):
    session.add(Item(name=name))  # expect: ORM101
    return {"ok": True}


@router.post("/item/factory")
def create_item_factory(name: str, session: Session = Depends(get_factory_session)):
    session.add(Item(name=name))  # expect: ORM101
    return {"ok": True}


@router.post("/bulk")
def bulk(rows: list, session: Session = Depends(get_session)):
    importer = Importer(rows, session.connection())
    transaction = session.begin_nested()
    try:
        importer.save()
        transaction.commit()  # expect: ORM101
    except Exception:
        transaction.rollback()
        raise
    return {"ok": True}


# -- silent: the outer transaction is committed, by the handler or by the dependency ------
@router.post("/bulk/fixed")
def bulk_fixed(rows: list, session: Session = Depends(get_session)):
    importer = Importer(rows, session.connection())
    transaction = session.begin_nested()
    try:
        importer.save()
        transaction.commit()
    except Exception:
        transaction.rollback()
        raise
    session.commit()
    return {"ok": True}


@router.post("/bulk/committing-dependency")
def bulk_committing(rows: list, session: Session = Depends(get_committing_session)):
    importer = Importer(rows, session.connection())
    transaction = session.begin_nested()
    importer.save()
    transaction.commit()
    return {"ok": True}


@router.post("/bulk/inside-begin")
def bulk_inside_begin(rows: list, session: Session = Depends(get_session)):
    with session.begin():
        transaction = session.begin_nested()
        Importer(rows, session.connection()).save()
        transaction.commit()
    return {"ok": True}


@router.post("/bulk/rolled-back")
def bulk_rolled_back(rows: list, session: Session = Depends(get_session)):
    transaction = session.begin_nested()
    Importer(rows, session.connection()).save()
    transaction.rollback()  # a dry run: nothing was meant to stay
    return {"ok": True}


@router.post("/item/in-savepoint")
def create_in_savepoint(name: str, session: Session = Depends(get_session)):
    transaction = session.begin_nested()
    session.add(Item(name=name))  # expect: ORM101
    transaction.commit()  # the add above already tells the loss: one finding, not two
    return {"ok": True}
