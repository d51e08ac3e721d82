"""The ledger's words, for every door: kinds, states and the export's columns."""
from flask_babel import gettext as _, lazy_gettext as _l

KINDS = {"money": _l("money"), "maintenance_fund": _l("maintenance fund"), "labour": _l("labour"),
         "goods": _l("goods")}
STATES = {"pledged": _l("pledged"), "received": _l("received"), "refunded": _l("refunded"),
          "cancelled": _l("cancelled")}


def export_title():
    """The ledger export's sheet title in the reader's language."""
    return _("Contributions")


def export_labels():
    """Column names and values of the ledger export in the reader's language."""
    return {"building": _("Building"), "unit": _("Unit"), "room": _("Room"), "kind": _("Kind"),
            "state": _("State"), "amount": _("Amount (yuan)"), "hours": _("Hours"), "receipt": _("Receipt no."),
            "description": _("Description"), "kinds": {k: str(v) for k, v in KINDS.items()},
            "states": {k: str(v) for k, v in STATES.items()}}
