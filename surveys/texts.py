"""Texts of generated surveys, translated when used (lazy), in the language of whoever reads them."""
from flask_babel import lazy_gettext as _l

LABELS = {
    "title": _l("co-design survey"), "must_fix": _l("Should %(item)s be fixed in the renovation?"),
    "yes": _l("yes"), "no": _l("no"), "rank": _l("Rank these improvements, most wanted first"),
    "lift": _l("Do you want a lift added to your building?"), "lift_building": _l("Building"),
    "pay": _l("How much would your household contribute (yuan)?"),
    "pay_item": _l("How much would your household contribute to %(item)s (yuan)?"),
    "management": _l("After the renovation, who should manage the compound?"),
    "property_company": _l("a property company"), "self_management": _l("the residents themselves"),
    "comments": _l("Anything else you want to tell us?"), "basic": _l("Basic repairs"),
    "improve": _l("Improvements"), "rate_item": _l("How satisfied are you with %(item)s?"),
    "overall": _l("Overall, how satisfied are you with the renovation?"),
    "satisfaction": _l("satisfaction survey"),
}


def labels():
    """The labels as plain strings in the current language."""
    return {key: str(value) for key, value in LABELS.items()}
