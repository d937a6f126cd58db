"""ORM301 false alarms found in open-source code, kept as silent cases."""
import logging

from sqlalchemy import exc as sqlalchemy_exc

from optuna.storages._rdb import models

_logger = logging.getLogger(__name__)


# optuna/storages/_rdb/storage.py (optuna 5.0): when the IN list is too long for the
# database, the code falls back to loading the trials and filtering them in Python.
def _get_trials(session, study_id, included_trial_ids, trial_id_greater_than):
    query = (
        session.query(models.TrialModel)
        .filter(models.TrialModel.study_id == study_id)
    )
    try:
        trial_models = query.filter(
            models.TrialModel.trial_id.in_(included_trial_ids)
            | (models.TrialModel.trial_id > trial_id_greater_than)
        ).order_by(models.TrialModel.trial_id).all()
    except sqlalchemy_exc.OperationalError as e:
        _logger.warning(f"Caught an error from sqlalchemy: {e!s}. Falling back to a slower alternative.")
        trial_models = query.order_by(models.TrialModel.trial_id).all()
        trial_models = [
            t
            for t in trial_models
            if t.trial_id in included_trial_ids or t.trial_id > trial_id_greater_than
        ]
    return trial_models
