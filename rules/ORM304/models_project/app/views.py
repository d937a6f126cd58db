"""Rows of classes declared in other modules: their relationships, Python properties and
lookup helpers are known from the project model."""
from sqlalchemy.orm import joinedload

from app import crud
from app.models import Mailbox, Submission, Switch
from app.tags import Tag


def switches():
    # agdsn-pycroft-2edf427e: `host` is a many-to-one relationship loaded on first read
    # (reported once per loop: the second read finds it loaded)
    return [{"id": switch.host.id,  # expect: ORM304
             "name": switch.host.name}
            for switch in Switch.query.all()]


def switches_joined():
    return [switch.host.name for switch in Switch.query.options(joinedload(Switch.host)).all()]


def switch_sites():
    return [switch.site.name for switch in Switch.query.all()]  # `lazy="joined"`: loaded with the row


def tag_counts():
    # emfcamp-Website-13696f95: `proposals` is the backref of Proposal.tags (another module)
    return {t.tag: len(t.proposals) for t in Tag.query.all()}  # expect: ORM304


def include_users(db):
    # Gozargah-Marzban-8485fda0: the rows come from a helper of another module
    config = {}
    for user in crud.get_users(db, status="active"):
        config[user.username] = {p.type: p.id for p in user.proxies}  # expect: ORM304
    return config


def include_users_eagerly(db):
    config = {}
    for user in crud.get_users_with_proxies(db):
        config[user.username] = {p.type: p.id for p in user.proxies}
    return config


def download_unread(source_id):
    # freedomofpress-securedrop-848a1245-2: `seen` is a property that runs a query
    submissions = Submission.query.filter(Submission.source_id == source_id).all()
    return [s for s in submissions if not s.seen]  # expect: ORM304


def files_of(source_id):
    submissions = Submission.query.filter(Submission.source_id == source_id).all()
    return [s for s in submissions if s.is_file]  # a property that runs no query


def check_mailboxes(mailbox_ids, user_id):
    # simple-login-app-940db183: `Mailbox.get` (a classmethod of a base) looks a row up by id
    mailboxes = []
    for mailbox_id in mailbox_ids:
        mailbox = Mailbox.get(mailbox_id)  # expect: ORM304
        if not mailbox or mailbox.user_id != user_id:
            return None
        mailboxes.append(mailbox)
    return mailboxes


def default_mailbox(names):
    found = []
    for name in names:
        found.append((name, Mailbox.get(1)))  # the same row every turn, not picked by the item
    return found


def create_mailboxes(user_ids):
    return [Mailbox.create(user_id=user_id) for user_id in user_ids]  # writes: per-item work


class Run:
    def __init__(self, id):
        self.id = id

    def _items_match(self, items, other):
        other_submissions = Submission.all(source_id=other.id)
        other_items = [(s.id, s.filename) for s in other_submissions]
        return set(items) == set(other_items)

    def baseline(self, candidates, items):
        # conbench-conbench-5ff23695: a helper of this class picks rows by its parameter
        # through `Submission.all(**kwargs)` of another module
        for candidate in candidates:
            if self._items_match(items, candidate):  # expect: ORM304
                return candidate
        return None
