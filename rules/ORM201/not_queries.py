"""`.first()`, `.get()` and `.scalar()` on things that are not query results."""
import re

from sqlalchemy.orm import Session

from models import User


class Playlist:
    def __init__(self, songs):
        self.songs = list(songs)

    def first(self):
        return self.songs[0]


class Rows(list):
    def first(self):
        return self[0] if self else None


def user_class(songs):
    return Playlist(songs).first().title


def regex(text):
    return re.match(r"(\d+)", text).group(1)


def list_wrapper(values):
    rows = Rows(values)
    return rows.first().name


def dict_get(config):
    return config.get("database").url


def unknown_receiver(repository, user_id):
    user = repository.get(User, user_id)
    return user.email


def untyped_parameter(session, user_id):
    # No evidence that `session` is a session (spelling alone is not enough);
    # annotate it `Session` and the lookup is checked.
    user = session.get(User, user_id)
    return user.email


def request_session(request):
    return request.session.get("user").name


def session_but_not_a_query_method(session: Session):
    return session.get_bind().url
