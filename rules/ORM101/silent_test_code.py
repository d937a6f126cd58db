"""ORM101 look-alikes, class A (test code outside a test file): `def test_*()` functions and
`class Test*:` bodies flush and assert inside a transaction they throw away on purpose.

Shapes from SQLAlchemy `test/orm/declarative/test_dc_transforms.py` (flush, then assert the
generated defaults) and `test/aaa_profiling/test_memusage.py` (a profiling loop that adds,
flushes, deletes and closes).
"""
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from models import User

engine = create_engine("sqlite://")


def test_server_default_is_loaded():
    with Session(engine) as sess:
        user = User(name="x")
        sess.add(user)
        sess.flush()
        assert user.id == 1


class TestMemoryUse:
    def go(self):
        sess = Session(engine)
        for name in ("a", "b", "c"):
            sess.add(User(name=name))
        sess.flush()
        sess.delete(sess.get(User, 1))
        sess.flush()
        sess.close()

    def test_no_leak(self):
        for _ in range(3):
            self.go()


class Test_legacy_naming:
    def helper(self):
        with Session(engine) as sess:
            sess.add(User(name="y"))
            sess.flush()
