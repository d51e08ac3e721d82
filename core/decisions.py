"""Rows that wait for a staff decision: a paper ballot typed in, a proxy registered, a volunteer's offer."""
from core.errors import Conflict, Forbidden, NotFound
from core.extensions import db


def pending_row(model, row_id, done, *, state="state", made_by=None, staff=None, **owner):
    """The row `row_id` of `model` under `owner` (e.g. vote_id=3), still pending, for `staff` to settle.

    NotFound when it is missing or someone else's; Conflict(`done`) once its `state` column is no longer
    "pending"; with `made_by` (the column naming who made it), Forbidden unless `staff` is someone else."""
    row = db.session.get(model, row_id)
    if row is None or any(getattr(row, column) != value for column, value in owner.items()):
        raise NotFound()
    if getattr(row, state) != "pending":
        raise Conflict(done)
    if made_by is not None and getattr(row, made_by) == staff.id:
        raise Forbidden("vote.same_person")
    return row
