"""A script whose `__main__` block calls `load()`: the process exits after it, uncommitted."""
import sys

from app import create_app
from cli import Role, db

create_app()


def load(path):
    with open(path) as lines:
        for line in lines:
            db.session.add(Role(name=line.strip()))  # expect: ORM101


def helper(name):
    db.session.add(Role(name=name))


if __name__ == "__main__":
    load(sys.argv[1])
