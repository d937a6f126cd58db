"""fedora-infra-mirrormanager2-96f89681: the crawler's host categories come from a method
that appends the rows a lookup helper of another module returns; each category's
directories are then loaded one category at a time, and each directory's `directory` one
row at a time. (The real crawler spells no SQLAlchemy name: its import of the project's
mapped classes is what lets it through the evidence gate, `project/import_evidence.py`;
`rules/ORM304/imported_model_project/` has that shape.)"""
from sqlalchemy.orm import Session

from app import lookups
from app.models import HostCategory


class Crawler:
    def __init__(self, session: Session, host_id: int, categories: list) -> None:
        self.session = session
        self.host_id = host_id
        self.categories = categories

    def host_categories(self):
        result = []
        for name in self.categories:
            hc = lookups.get_host_category(self.session, self.host_id, name)  # expect: ORM304
            if hc is not None:
                result.append(hc)
        return result

    def sync(self, keys, current):
        stats = {"unreadable": 0, "deleted": 0}
        for hc, directory in keys:  # `hc` is bound by another loop first
            stats["deleted"] += len(directory.name)
        for hc in self.host_categories():
            for hcd in list(hc.directories):  # expect: ORM304
                if hcd.directory is not None and not hcd.directory.readable:  # expect: ORM304
                    stats["unreadable"] += 1
                    continue
                if hcd.id not in current and hcd.up2date is not False:
                    hcd.up2date = False
                    stats["deleted"] += 1
        self.session.commit()
        return stats

    def new_categories(self):
        result = []
        for name in self.categories:
            result.append(HostCategory(host_id=self.host_id, name=name))
        return result

    def names_of_new(self):
        # new objects, not loaded rows: their `directories` is an empty list, no query
        return [len(hc.directories) for hc in self.new_categories()]

    def categories_with_directories(self):
        result = []
        for name in self.categories:
            hc = lookups.get_host_category_with_directories(self.session, self.host_id, name)  # expect: ORM304
            if hc is not None:
                result.append(hc)
        return result

    def directories_of_loaded(self):
        # the lookup loads each row with its directories (`selectinload()`)
        return {hc.name: len(hc.directories) for hc in self.categories_with_directories()}

    def directory_counts(self):
        # each row comes with its directories (`selectinload()` in the lookup); the lookup
        # itself runs once per name (reported above)
        counts = {}
        for name in self.categories:
            hc = lookups.get_host_category_with_directories(self.session, self.host_id, name)  # expect: ORM304
            counts[name] = len(hc.directories)
        return counts
