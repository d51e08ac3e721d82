"""The lift's words, for every door: the rule a vote is counted by."""
from flask_babel import gettext as _


def rule_line(rule):
    """The rule a lift vote is counted by, in the reader's language (LiftRule from votes.lifts)."""
    extra = []
    if rule.min_owner_share is not None:
        share = f"{rule.min_owner_share.numerator}/{rule.min_owner_share.denominator}"
        extra.append(_("at least %(share)s of the stairwell's owners agree", share=share))
    if rule.affected_must_agree:
        extra.append(_("the owners of the flats the shaft occupies agree"))
    if not extra:
        return _("Counted by Civil Code art. 278: two thirds take part and three quarters of them agree, by area "
                 "and by owners.")
    return _("Counted by Civil Code art. 278; the county also requires that %(extra)s.", extra=_("; ").join(extra))
