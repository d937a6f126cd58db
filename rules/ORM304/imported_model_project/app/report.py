"""The model module imported relatively (`from . import model`, then `model.Host`): the
module defines mapped classes, which is this file's evidence."""
from . import lib, model


def host_urls(session):
    return {host.name: [u.url for u in host.urls] for host in lib.get_hosts(session)}  # expect: ORM304


def blank_host(name):
    return model.Host(name=name)
