"""Flask views whose request ends without committing the work a project helper left in
`db.session` (issue 18: simple-login d58ab8c8, pycroft dac48301, OpenOversight ebc26fdf)."""
from flask import Flask, redirect

from helpers import count_aliases, current_person, log_event, save_and_commit
from models import Alias, db

app = Flask(__name__)


@app.route("/alias", methods=["POST"])
def new_alias(user_id, hostname):
    alias = Alias.create_random(user_id)  # expect: ORM101
    if hostname:
        db.session.commit()
    return str(alias.id)


@app.route("/alias/committed", methods=["POST"])
def new_alias_committed(user_id):
    alias = Alias.create_random(user_id)
    db.session.commit()
    return str(alias.id)


@app.route("/reset", methods=["POST"])
def password_reset(user, token, password):
    if user.reset_password(token, password):
        return redirect("/login")
    return redirect("/reset")


@app.route("/email", methods=["POST"])
def email_change(user, email):
    user.change_email(email)
    db.session.commit()
    return redirect("/")


@app.route("/rooms/<int:room_id>", methods=["POST"])
def room_show(room_id):
    log_event(f"room {room_id} viewed")  # expect: ORM101
    return "ok"


@app.route("/rooms/<int:room_id>/saved", methods=["POST"])
def room_show_saved(room_id):
    save_and_commit(f"room {room_id} viewed")  # silent: the helper commits
    return "ok"


@app.route("/aliases")
def alias_count():
    return str(count_aliases())  # silent: the helper only reads


# Silent: the helper only attaches a clean cached object.
@app.route("/me")
def me(cached):
    return current_person(cached).email
