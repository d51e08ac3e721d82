"""Publicity in chat: what is published for my home and how long is left, objections, lift shares."""
from flask_babel import gettext as _, lazy_gettext as _l

from bot.dispatcher import register
from bot.lists import BACK_WORDS, ListFlow
from core.errors import DomainError
from core.i18n import translate
from core.models import utcnow
from core.money import format_yuan
from core.times import format_moment, time_left

DONE_WORDS = {"好", "好了", "完成", "提交", "就这些", "没有了", "没了", "ok", "done"}


def countdown_line(period, locale):
    """'玉林小区改造方案：还剩 3 天 5 小时，12月2日（周二）上午9:00 截止。'"""
    days, hours = time_left(period.ends_at, utcnow())
    return _("%(title)s: %(days)s days %(hours)s hours left, until %(deadline)s.", title=period.title,
             days=days, hours=hours, deadline=format_moment(period.ends_at, locale))


def lift_share_line(vote_id, dwelling_ids):
    """On a lift vote, the lines that tell an owner their own share for each of their homes, and the rule
    ('' for other votes)."""
    from lifts import services as lifts
    from lifts.texts import rule_line
    if isinstance(dwelling_ids, int):
        dwelling_ids = [dwelling_ids]
    shares = [s for s in (lifts.share_for(vote_id, d) for d in dwelling_ids) if s is not None]
    if not shares:
        return ""
    lines = [_("If the lift is built, your home (floor %(floor)s) pays %(amount)s yuan.", floor=share["floor"],
               amount=format_yuan(share["share"])) if len(shares) == 1 else
             _("If the lift is built, room %(room)s (floor %(floor)s) pays %(amount)s yuan.", room=share["room"],
               floor=share["floor"], amount=format_yuan(share["share"])) for share in shares]
    return "\n".join(lines + [rule_line(lifts.scheme_rule(lifts.scheme_of_vote(vote_id)))])


@register
class PublicityFlow(ListFlow):
    name = "publicity"
    keywords = ("公示", "异议", "提异议", "publicity", "objection", "object")
    menu_keys = ("PUBLICITY",)
    needs_home = True
    listed_as = "periods"
    pick_hint = _l("To object, reply with the number; reply 0 to go back.")

    def start(self, turn, **kwargs):
        from publicity import services as publicity
        periods = publicity.open_for_resident(turn.account)
        if not periods:
            return _("Nothing is being published for your home right now.")
        locale = turn.account.locale
        return self.list_for(turn, [p.id for p in periods], [countdown_line(p, locale) for p in periods])

    def picked(self, turn, publicity_id):
        turn.goto(self, "describe", publicity_id=publicity_id, text="", photos=[])
        return _("What do you object to? Write it, and send photos if you have them. Reply 好 (done) when "
                 "finished, 0 to go back.")

    def on_describe(self, turn):
        from publicity import services as publicity
        message = turn.message
        if message.type == "image":
            # WeChat keeps it three days: a worker fetches it once the objection is lodged (core/chat_photos.py)
            from core.chat_photos import MEDIA_PREFIX
            photos = list(turn.data.get("photos", []))[:8] + [MEDIA_PREFIX + message.media_id]
            turn.goto(self, "describe", photos=photos)
            return _("Photo received (%(count)s). Send more, or reply 好 (done).", count=len(photos))
        answer = turn.text.strip()
        if answer in BACK_WORDS:
            turn.end()
            return _("Cancelled; no objection was sent.")
        if answer.lower() in DONE_WORDS:
            data = turn.data
            if not data.get("text"):
                return _("Please write what you object to first.")
            turn.end()
            try:
                objection = publicity.lodge_objection(turn.account, data["publicity_id"], data["text"],
                                                      data.get("photos", []), channel="bot")
            except DomainError as exc:
                return translate(exc.key, **exc.params)
            return _("Thank you. Your objection O%(number)06d is with the committee; its answer will be sent to "
                     "you and published with the notice (without your name).", number=objection.id)
        turn.goto(self, "describe", text=(turn.data.get("text", "") + "\n" + answer).strip()[:1000])
        return _("Noted. Add more, or reply 好 (done).")
