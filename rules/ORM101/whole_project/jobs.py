"""Functions handed to a job queue end the session when they return (issue 18:
FlexMeasures 82387ccd's `make_schedule`, an rq job that saved with `save_to_db()` and
returned without a commit)."""
from rq import Queue

from helpers import log_event, save_and_commit


def make_schedule(asset_id):
    log_event(f"schedule for {asset_id}")  # expect: ORM101
    return True


def make_schedule_saved(asset_id):
    save_and_commit(f"schedule for {asset_id}")
    return True


def enqueue_schedules(queue: Queue, asset_id):
    queue.enqueue(make_schedule, asset_id)
    queue.enqueue(make_schedule_saved, asset_id)


def not_a_job(asset_id):
    # Silent: nothing says this function is where the session ends; its caller may commit.
    log_event(f"schedule for {asset_id}")
    return True
