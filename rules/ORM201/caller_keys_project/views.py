from flask import request

from models import Dashboard


def show(session):
    return Dashboard.export_one(session, request.args["id"])
