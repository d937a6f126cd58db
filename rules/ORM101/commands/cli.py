"""Commands end the process: Flask-SQLAlchemy's `db.session` is not committed after a
command any more than after a request (issue 18: init and import commands that lose rows)."""
import click
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
db = SQLAlchemy(app)


class Role(db.Model):
    id = db.Column(db.Integer, primary_key=True)


@app.cli.command("init-roles")
def init_roles():
    for name in ("admin", "user"):
        db.session.add(Role(name=name))  # expect: ORM101


@click.command()
@click.argument("name")
def add_role(name):
    db.session.add(Role(name=name))  # expect: ORM101
    click.echo(f"added {name}")


@app.cli.command("purge")
def purge():
    for role in Role.query.all():
        db.session.delete(role)  # expect: ORM101
    if click.confirm("commit?"):
        db.session.commit()


# Silent: the command commits, or leaves the work to a block that commits.
@app.cli.command("init-roles-committed")
def init_roles_committed():
    for name in ("admin", "user"):
        db.session.add(Role(name=name))
    db.session.commit()


@app.cli.command("init-in-transaction")
def init_in_transaction():
    with db.session.begin():
        db.session.add(Role(name="admin"))


def add_default_roles():
    """A helper, not a command: its caller decides when to commit."""
    db.session.add(Role(name="admin"))
