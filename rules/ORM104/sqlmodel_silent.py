"""SQLModel's tests: a query of the same class after the commit loads the expired object again."""
from sqlmodel import Field, Session, SQLModel, select


class Hero(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)


def test_instance_no_args(engine) -> None:
    with Session(engine) as db:
        hero = Hero()
        db.add(hero)
        db.commit()
        statement = select(Hero)
        result = db.exec(statement).all()
    assert len(result) == 1
    assert isinstance(hero.id, int)


def flagged_when_nothing_reloads_it(engine) -> None:
    with Session(engine) as db:
        hero = Hero()
        db.add(hero)
        db.commit()
    assert hero.id  # expect: ORM104
