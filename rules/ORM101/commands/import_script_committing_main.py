"""Silent: the `__main__` block commits after calling the function that adds."""
import sys

from cli import Role, db


def load(path):
    with open(path) as lines:
        for line in lines:
            db.session.add(Role(name=line.strip()))


if __name__ == "__main__":
    load(sys.argv[1])
    db.session.commit()
