"""fedora-infra-mirrormanager2-96f89681: the crawler spells no name of SQLAlchemy's and runs
no query itself; it imports a mapped class of the project (`from app.model import
HostCategoryDir`), which is its evidence. Its host categories come from a lookup helper of
another module, and each category's directories are loaded one category at a time, each
directory's `directory` one row at a time."""
from app import lib
from app.model import HostCategoryDir


class Crawler:
    def __init__(self, session, host_id, categories):
        self.session = session
        self.host_id = host_id
        self.categories = categories

    def host_categories(self):
        result = []
        for name in self.categories:
            hc = lib.get_host_category(self.session, self.host_id, name)  # expect: ORM304
            if hc is not None:
                result.append(hc)
        return result

    def mark_stale(self, current):
        stats = {"unreadable": 0, "deleted": 0}
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

    def new_directory(self, category, path):
        return HostCategoryDir(host_category_id=category.id, path=path)
