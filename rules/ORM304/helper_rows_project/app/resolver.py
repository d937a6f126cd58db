"""fedora-infra-koschei-909a1579: the build each package is compared with comes from a
method (through a method of the base class that runs the query); the loop then reads its
dependencies, loaded on first read, one package at a time."""
from sqlalchemy.orm import Session

from app import util
from app.models import Build


class Task:
    def __init__(self, db: Session) -> None:
        self.db = db

    def get_prev_build(self, build):
        return self.db.query(Build).filter_by(package_id=build.package_id) \
            .filter(Build.id < build.id).order_by(Build.id.desc()).first()


class GenerateRepoTask(Task):
    def get_build_for_comparison(self, package):
        """The newest build with resolved dependencies, or None."""
        last_build = package.last_build
        if last_build and last_build.deps_resolved:
            return last_build
        return self.get_prev_build(last_build)

    def resolve(self, requires):
        return requires

    def generate_dependency_changes(self, packages, requires):
        changes = []
        gen = ((package, self.resolve(br)) for package, br in zip(packages, requires))
        gen = util.parallel_generator(gen, queue_size=10)
        for package, result in gen:
            if result is not None:
                last_build = self.get_build_for_comparison(package)
                if last_build:
                    prev_deps = last_build.dependencies  # expect: ORM304
                    changes += [d.name for d in prev_deps if d.name not in result]
        return changes

    def describe(self, package):
        # one package: its build and dependencies are loaded once
        last_build = self.get_build_for_comparison(package)
        return [d.name for d in last_build.dependencies] if last_build else []

    def compare_with_the_first(self, packages, first):
        # the same build on every turn: its dependencies are loaded once, then kept
        changes = []
        for package in packages:
            reference = self.get_build_for_comparison(first)
            changes.append((package.name, len(reference.dependencies)))
        return changes
