"""The contribution ledger in chat: a resident sees the pledges they made and withdraws one not yet paid."""
from flask_babel import gettext as _, lazy_gettext as _l

from bot.dispatcher import register
from bot.lists import ListFlow
from core.errors import DomainError
from core.i18n import translate
from core.money import format_yuan
from core.understanding import is_cancel, parse_yes_no


def entry_line(entry):
    """'money 500.00 yuan (item 3)', in the reader's language."""
    from contributions.texts import KINDS
    if entry.amount is not None:
        what = _("%(kind)s %(amount)s yuan", kind=KINDS[entry.kind], amount=format_yuan(entry.amount))
    elif entry.hours is not None:
        what = _("%(kind)s %(hours)s hours", kind=KINDS[entry.kind], hours=entry.hours)
    else:
        what = _("%(kind)s: %(description)s", kind=KINDS[entry.kind], description=entry.description or "")
    return what


@register
class PledgeFlow(ListFlow):
    name = "pledges"
    keywords = ("认捐", "我的认捐", "撤回认捐", "出资", "pledge", "pledges", "my pledges")
    menu_keys = ("PLEDGES",)
    needs_home = True
    listed_as = "entries"
    pick_hint = _l("To withdraw one, reply with its number; reply 0 to go back.")

    def start(self, turn, **kwargs):
        from contributions import services as contributions
        try:
            ledger = contributions.my_ledger(turn.account)
        except DomainError as exc:
            return translate(exc.key, **exc.params)
        pledged = [e for e in ledger["entries"] if e.state == "pledged" and e.account_id == turn.account.id]
        if not pledged:
            return _("You have no pledge of your own waiting to be paid. Pledges are made in the mini-program.")
        return self.list_for(turn, [e.id for e in pledged], [entry_line(e) for e in pledged],
                             header=[_("Your pledges not yet paid:")])

    def picked(self, turn, entry_id):
        from contributions import services as contributions
        try:
            entry = contributions.own_entry(turn.account, entry_id)
        except DomainError:  # no longer theirs (they moved, or it was withdrawn meanwhile)
            turn.end()
            return _("Kept; nothing changed.")
        turn.goto(self, "confirm", entry_id=entry.id)
        return _("Withdraw your pledge of %(what)s? Reply 1 to withdraw, 0 to keep it.", what=entry_line(entry))

    def on_confirm(self, turn):
        from contributions import services as contributions
        answer = False if is_cancel(turn.text) else parse_yes_no(turn.text)
        if answer is None:
            return _("Reply 1 to withdraw, 0 to keep it.")
        entry_id = turn.data["entry_id"]
        turn.end()
        if not answer:
            return _("Kept; nothing changed.")
        try:
            contributions.cancel_own(turn.account, entry_id)
        except DomainError as exc:
            return translate(exc.key, **exc.params)
        return _("Your pledge is withdrawn. The committee sees it as cancelled.")
