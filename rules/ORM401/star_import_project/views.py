from models import *


def edit_items_submit(request):
    for key in request.POST:
        item = DBSession.query(Item).filter_by(id=int(key)).one()
        try:
            item.name = request.POST[key]
            DBSession.flush()
        except:  # expect: ORM401
            request.session.flash("Error updating {}. Skipped.".format(key), "error")
            continue


# Silent: the handler rolls the registry's session back before the next item.
def edit_items_rolled_back(request):
    for key in request.POST:
        item = DBSession.query(Item).filter_by(id=int(key)).one()
        try:
            item.name = request.POST[key]
            DBSession.flush()
        except:
            DBSession.rollback()
            request.session.flash("Error updating {}. Skipped.".format(key), "error")
            continue


# Silent: `AuditSession` is not something `models` defines: not known to be a session.
def edit_with_unknown(request):
    for key in request.POST:
        try:
            AuditSession.flush()  # noqa: F405
        except:
            continue
