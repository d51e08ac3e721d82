"""The conversations the official account offers. Each maps messages to a domain call and a reply."""
from flask_babel import gettext as _

from bot.dispatcher import Flow, register
from core import accounts
from core.errors import DomainError
from core.i18n import translate
from core.uploads import MAX_PHOTOS
from core.models import CatalogueClass, CompoundStatus
from wishes import services as wishes
from wishes.models import WishStatus

DONE_WORDS = {"好", "好了", "完成", "提交", "0", "ok", "done", "没有", "无"}
YES, NO = {"1", "是", "确认", "对", "yes", "y"}, {"2", "否", "不", "取消", "no", "n"}


def dwelling_label(dwelling):
    """'玉林小区 3栋2单元501' in the reader's language."""
    building = dwelling.unit.building
    return _("%(compound)s, building %(building)s unit %(unit)s room %(room)s",
             compound=building.compound.name, building=building.name, unit=dwelling.unit.name, room=dwelling.room)


def kind_label(kind):
    return {"owner": _("owner"), "tenant": _("tenant"), "family": _("family member")}.get(kind, kind or "")


def item_name(account, code):
    """A catalogue item's name in the resident's language."""
    return wishes.item_name(account, code) if account.dwelling_id else code


def class_name(cls):
    return {CatalogueClass.BASIC: _("basic (water, power, gas, roads, safety)"),
            CatalogueClass.IMPROVEMENT: _("improvement (lighting, parking, lifts, greening)"),
            CatalogueClass.ENHANCEMENT: _("enhancement (elderly care, childcare, shops)")}[cls]


def status_name(status):
    return {WishStatus.SUBMITTED: _("received"), WishStatus.CLASSIFIED: _("being handled"),
            WishStatus.ANSWERED: _("answered"), WishStatus.MERGED: _("merged with a similar wish")}[status]


def help_text():
    return _("I can help with:\n"
             "· 提诉求 / wish: tell the committee what should be renovated\n"
             "· 我的诉求 / my wishes: see what happened to your wishes\n"
             "· 进度 / progress: your compound's renovation\n"
             "· 绑定 / bind: link WeChat to your home\n"
             "· English / 中文: switch language\n"
             "· 取消 / cancel: stop what we are doing\n"
             "You can also just say what you want repaired, by text or by voice.")


def bind_prompt():
    return _("First link WeChat to your home: reply 绑定 (bind) and the code from your neighbourhood "
             "committee, or scan the QR code in your stairwell.")


@register
class HelpFlow(Flow):
    name = "help"
    keywords = ("帮助", "help", "?", "？", "菜单", "menu", "你好", "您好", "hi", "hello")
    menu_keys = ("HELP",)

    def start(self, turn, **kwargs):
        return help_text()


@register
class CancelFlow(Flow):
    name = "cancel"
    keywords = ("取消", "cancel", "退出", "quit", "stop")

    def start(self, turn, **kwargs):
        return _("Cancelled. Reply 帮助 (help) to see what I can do.")


@register
class EnglishFlow(Flow):
    name = "english"
    keywords = ("english", "英文", "英语")

    def start(self, turn, **kwargs):
        from flask_babel import force_locale
        accounts.set_locale(turn.account, "en")
        with force_locale("en"):
            return _("I will speak English from now on. Reply 中文 to switch back.")


@register
class ChineseFlow(Flow):
    name = "chinese"
    keywords = ("中文", "chinese", "汉语", "普通话")

    def start(self, turn, **kwargs):
        from flask_babel import force_locale
        accounts.set_locale(turn.account, "zh_Hans_CN")
        with force_locale("zh_Hans_CN"):
            return _("I will speak Chinese from now on. Reply English to switch.")


@register
class BindFlow(Flow):
    name = "bind"
    keywords = ("绑定", "bind", "绑定房屋", "认证")
    menu_keys = ("BIND",)
    MAX_TRIES = 5

    def start(self, turn, unit_id=None, **kwargs):
        account = turn.account
        if account.privacy_consented_at is None:
            turn.goto(self, "consent", unit_id=unit_id)
            return _("Before we link WeChat to your home: %(notice)s\nReply 1 to agree, 0 to go back.",
                     notice=accounts.privacy_notice()["text"])
        if account.dwelling_id is not None and unit_id is None:
            return _("You are linked to %(home)s as %(kind)s. Reply 解绑 (unbind) to remove the link.",
                     home=dwelling_label(account.dwelling), kind=kind_label(account.kind))
        if unit_id is not None:
            turn.goto(self, "room", unit_id=unit_id, tries=0)
            return _("Welcome! Please reply with your room number (for example 501).")
        turn.goto(self, "code", tries=0)
        return _("Please reply with the binding code from your neighbourhood committee, "
                 "or scan the QR code in your stairwell.")

    def resume(self, turn, step):
        return getattr(self, f"on_{step}")(turn)

    def _retry(self, turn, step, message):
        tries = turn.data.get("tries", 0) + 1
        if tries >= self.MAX_TRIES:
            turn.end()
            return _("That did not work several times. Please contact your neighbourhood committee.")
        turn.goto(self, step, tries=tries)
        return message

    def on_consent(self, turn):
        if turn.text.strip().lower() not in YES | {"同意", "好", "好的", "可以"}:
            turn.end()
            return _("Nothing was linked. Reply 帮助 (help) to see what I can do.")
        accounts.record_privacy_consent(turn.account, accounts.PRIVACY_VERSION)
        unit_id = turn.data.get("unit_id")
        turn.end()
        return self.start(turn, unit_id=unit_id)

    def on_code(self, turn):
        try:
            accounts.bind_with_code(turn.account, turn.text)
        except DomainError:
            return self._retry(turn, "code", _("This code is not valid or has expired. Please check it "
                                               "and try again, or reply 取消 (cancel)."))
        turn.end()
        return self.bound_text(turn.account)

    def on_room(self, turn):
        try:
            accounts.find_dwelling(turn.data["unit_id"], turn.text)
        except DomainError:
            return self._retry(turn, "room", _("There is no room %(room)s in this stairwell. Please reply "
                                               "with your room number again.", room=turn.text[:10]))
        turn.goto(self, "last4", room=turn.text.strip())
        return _("Please reply with the last four digits of the phone number the committee has for you.")

    def on_last4(self, turn):
        try:
            outcome = accounts.bind_by_room(turn.account, turn.data["unit_id"], turn.data["room"], turn.text)
        except DomainError as exc:
            if exc.key == "bind.bad_last4":
                return self._retry(turn, "last4", _("Please reply with exactly four digits."))
            turn.end()
            return translate(exc.key, **exc.params)
        turn.end()
        if outcome == "household":
            return self.bound_text(turn.account) + "\n" + _(
                "To vote as an owner, reply 业主认证 (owner) with your ID number and property certificate number, "
                "or ask the committee for a binding code.")
        return _("Thank you. We could not confirm this from the owners' roll, so your neighbourhood "
                 "committee will check it; you will hear from us.")

    @staticmethod
    def bound_text(account):
        return _("Done: you are linked to %(home)s as %(kind)s. Reply 提诉求 (wish) to tell us what should "
                 "be renovated.", home=dwelling_label(account.dwelling), kind=kind_label(account.kind))


@register
class OwnerFlow(Flow):
    """An owner verifies with the ID number and the property certificate number, as on the roll."""

    name = "owner"
    keywords = ("业主认证", "业主验证", "owner", "verify owner")

    def start(self, turn, **kwargs):
        if turn.account.privacy_consented_at is None:
            turn.goto(self, "consent")
            return _("Before we link WeChat to your home: %(notice)s\nReply 1 to agree, 0 to go back.",
                     notice=accounts.privacy_notice()["text"])
        turn.goto(self, "id")
        return _("Owners who vote are checked against the owners' roll. Please reply with your ID number "
                 "(18 characters). Reply 0 to go back.")

    def resume(self, turn, step):
        text = turn.text.strip()
        if text in ("0", "取消", "算了", "返回"):
            turn.end()
            return _("Cancelled. Reply 帮助 (help) to see what I can do.")
        if step == "consent":
            if text.lower() not in YES | {"同意", "好", "好的", "可以"}:
                turn.end()
                return _("Nothing was linked. Reply 帮助 (help) to see what I can do.")
            accounts.record_privacy_consent(turn.account, accounts.PRIVACY_VERSION)
            return self.start(turn)
        if step == "id":
            from core import identity
            try:
                number = identity.normalise_document("cn_id", text)
            except DomainError:
                return _("That is not a valid ID number. Please check it and reply again, or reply 0 to go back.")
            turn.goto(self, "certificate", id_number=number)
            return _("Thank you. Now please reply with the number on your property certificate (不动产权证号).")
        try:
            accounts.bind_as_owner(turn.account, turn.data.get("id_number"), text)
        except DomainError as exc:
            turn.end()
            if exc.key in ("bind.too_many", "bind.too_many_flat"):
                return translate(exc.key)
            return _("These numbers do not match the owners' roll. Please ask your neighbourhood committee "
                     "for a binding code.")
        turn.end()
        return BindFlow.bound_text(turn.account)


@register
class UnbindFlow(Flow):
    name = "unbind"
    keywords = ("解绑", "unbind", "解除绑定")

    def start(self, turn, **kwargs):
        if turn.account.dwelling_id is None:
            return _("You are not linked to a home.")
        turn.goto(self, "confirm")
        return _("Remove the link to %(home)s? Reply 1 to confirm, 2 to keep it.",
                 home=dwelling_label(turn.account.dwelling))

    def resume(self, turn, step):
        answer = turn.text.strip().lower()
        turn.end()
        if answer in YES:
            accounts.unbind(turn.account)
            return _("The link is removed. Reply 绑定 (bind) to link again.")
        return _("Nothing changed.")


@register
class WishFlow(Flow):
    name = "wish"
    keywords = ("提诉求", "诉求", "wish", "提意见", "我要提诉求")
    menu_keys = ("WISH",)
    CLASSES = {"1": CatalogueClass.BASIC, "2": CatalogueClass.IMPROVEMENT, "3": CatalogueClass.ENHANCEMENT}

    def start(self, turn, text=None, codes=None, **kwargs):
        if turn.account.dwelling_id is None:
            return bind_prompt()
        if text:
            return self.suggest(turn, text, codes)
        turn.goto(self, "class")
        lines = [_("What should be renovated? Choose a class:")]
        lines += [f"{key} {class_name(cls)}" for key, cls in self.CLASSES.items()]
        lines.append(_("Or just tell me in your own words (text or voice)."))
        return "\n".join(lines)

    def resume(self, turn, step):
        return getattr(self, f"on_{step}")(turn)

    def on_class(self, turn):
        cls = self.CLASSES.get(turn.text.strip())
        if cls is None:
            return self.suggest(turn, turn.text)
        items = [e for e in self._catalogue(turn) if e[1] == cls]
        turn.goto(self, "item", choices=[code for code, _cls, _name in items])
        lines = [_("Reply with the number of the item:")]
        lines += [f"{n} {name}" for n, (_code, _cls, name) in enumerate(items, start=1)]
        return "\n".join(lines)

    def on_item(self, turn):
        choices = turn.data.get("choices", [])
        answer = turn.text.strip()
        if answer.isdigit() and 1 <= int(answer) <= len(choices):
            return self.ask_detail(turn, choices[int(answer) - 1], "")
        return self.suggest(turn, turn.text)

    def suggest(self, turn, text, codes=None):
        text = (text or "").strip()[:wishes.MAX_TEXT]
        codes = wishes.suggest_for(turn.account, text) if codes is None else codes
        if not codes:
            return self.ask_detail(turn, None, text)
        turn.goto(self, "suggest", choices=codes, text=text)
        if len(codes) == 1:
            return _("Do you mean 「%(item)s」? Reply 1 to confirm, 0 if not.",
                     item=item_name(turn.account, codes[0]))
        lines = [_("Do you mean one of these? Reply with its number, or 0 if none fits:")]
        lines += [f"{n} {item_name(turn.account, code)}" for n, code in enumerate(codes, start=1)]
        return "\n".join(lines)

    def on_suggest(self, turn):
        answer = turn.text.strip()
        choices = turn.data.get("choices", [])
        if answer.isdigit() and 1 <= int(answer) <= len(choices):
            return self.ask_detail(turn, choices[int(answer) - 1], turn.data.get("text", ""), choices)
        if answer == "0":
            return self.ask_detail(turn, None, turn.data.get("text", ""), choices)
        return self.suggest(turn, turn.text)

    def ask_detail(self, turn, code, text, suggested=None):
        turn.goto(self, "detail", code=code, text=text, photos=[], location=None, suggested=suggested or [])
        return _("You can add a description, photos or your location now. Reply 好 (done) when finished, "
                 "or 0 to skip.")

    def on_detail(self, turn):
        message = turn.message
        if message.type == "image":
            photos = list(turn.data.get("photos", []))[:MAX_PHOTOS - 1] + [f"wx-media:{message.media_id}"]
            turn.goto(self, "detail", photos=photos)
            return _("Photo received (%(count)s). Send more, or reply 好 (done).", count=len(photos))
        if message.type == "location":
            turn.goto(self, "detail", location=[float(message.location_x), float(message.location_y)])
            return _("Location received. Reply 好 (done) when finished.")
        answer = turn.text.strip()
        if answer.lower() in DONE_WORDS:
            return self.ask_confirm(turn)
        text = (turn.data.get("text", "") + "\n" + answer).strip()[:wishes.MAX_TEXT]
        turn.goto(self, "detail", text=text)
        return _("Noted. Add more, or reply 好 (done).")

    def ask_confirm(self, turn):
        data = turn.data
        if not data.get("code") and not data.get("text"):
            turn.goto(self, "detail")
            return _("Please tell me what should be renovated first.")
        turn.goto(self, "confirm")
        item = item_name(turn.account, data["code"]) if data.get("code") else _("(not chosen)")
        return _("Please confirm your wish:\nItem: %(item)s\nDescription: %(text)s\nPhotos: %(photos)s\n"
                 "Reply 1 to submit, 2 to cancel.", item=item, text=data.get("text") or "-",
                 photos=len(data.get("photos", [])))

    def on_confirm(self, turn):
        answer = turn.text.strip().lower()
        if answer in YES:
            data = turn.data
            location = data.get("location") or (None, None)
            wish = wishes.file_wish(turn.account, "bot", text=data.get("text", ""), catalogue_code=data.get("code"),
                                    photos=data.get("photos", []), latitude=location[0], longitude=location[1],
                                    suggested=data.get("suggested"))
            turn.end()
            return _("Submitted. Your reference number is %(ref)s. Reply 我的诉求 (my wishes) to follow it.",
                     ref=wish.reference)
        if answer in NO:
            turn.end()
            return _("Cancelled; nothing was submitted.")
        return _("Reply 1 to submit, 2 to cancel.")

    @staticmethod
    def _catalogue(turn):
        english = turn.account.locale == "en"
        return [(e.code, e.cls, e.name_en if english else e.name_zh) for e in wishes.catalogue_for(turn.account)]


@register
class MyWishesFlow(Flow):
    name = "my_wishes"
    keywords = ("我的诉求", "my wishes", "查询诉求", "诉求进度")
    menu_keys = ("MY_WISHES",)

    def start(self, turn, **kwargs):
        mine = wishes.my_wishes(turn.account, limit=5)
        if not mine:
            return _("You have not submitted any wishes yet. Reply 提诉求 (wish) to start.")
        lines = [_("Your latest wishes:")]
        for wish in mine:
            item = item_name(turn.account, wish.catalogue_code) if wish.catalogue_code else (wish.text[:12] or "-")
            line = f"{wish.reference} {item}: {status_name(wish.status)}"
            if wish.answer:
                line += "\n  " + _("Answer: %(answer)s", answer=wish.answer[:200])
            lines.append(line)
        return "\n".join(lines)


@register
class ProgressFlow(Flow):
    name = "progress"
    keywords = ("进度", "progress", "改造进度", "项目进度")
    menu_keys = ("PROGRESS",)

    def start(self, turn, **kwargs):
        from projects import services as projects
        from projects.rules import STAGES
        from notices.sender import stage_label
        if turn.account.dwelling_id is None:
            return bind_prompt()
        compound = turn.account.dwelling.unit.building.compound
        try:
            project = projects.project_for_resident(turn.account)
        except DomainError:
            stage = {CompoundStatus.REGISTERED: _("registered"), CompoundStatus.RESERVE: _("in the project reserve"),
                     CompoundStatus.PLANNED: _("in this year's plan"), CompoundStatus.RENOVATING: _("being renovated"),
                     CompoundStatus.COMPLETED: _("renovation completed"),
                     CompoundStatus.EXCLUDED: _("not in the scheme")}.get(compound.status, compound.status)
            return _("%(compound)s: %(stage)s. There is no renovation project with a timeline yet; "
                     "we will tell you when it starts.", compound=compound.name, stage=stage)
        index = STAGES.index(project.stage)
        following = STAGES[index + 1] if index + 1 < len(STAGES) else None
        lines = [_("%(project)s: now at %(stage)s, %(progress)s%% done.", project=project.name,
                   stage=stage_label(project.stage), progress=projects.progress_of(project))]
        if following:
            planned = next((r.planned_start for r in project.stages if r.stage == following and r.planned_start),
                           None)
            lines.append(_("Next: %(stage)s, planned from %(date)s.", stage=stage_label(following), date=planned)
                         if planned else _("Next: %(stage)s.", stage=stage_label(following)))
        lines.append(_("Reply 反映问题 (report) to report a problem on site."))
        return "\n".join(lines)


@register
class ReportFlow(Flow):
    name = "report"
    keywords = ("反映问题", "报告问题", "report", "投诉", "问题反映")
    menu_keys = ("REPORT",)

    def start(self, turn, **kwargs):
        if turn.account.dwelling_id is None:
            return bind_prompt()
        turn.goto(self, "describe", text="", photos=[], location=None)
        return _("What is the problem on site? Describe it, and send photos or your location if you can. "
                 "Reply 好 (done) when finished.")

    def resume(self, turn, step):
        message = turn.message
        if message.type == "image":
            photos = list(turn.data.get("photos", []))[:2] + [f"wx-media:{message.media_id}"]
            turn.goto(self, "describe", photos=photos)
            return _("Photo received (%(count)s). Send more, or reply 好 (done).", count=len(photos))
        if message.type == "location":
            turn.goto(self, "describe", location=[float(message.location_x), float(message.location_y)])
            return _("Location received. Reply 好 (done) when finished.")
        answer = turn.text.strip()
        if answer.lower() in DONE_WORDS:
            from projects import services as projects
            data = turn.data
            if not data.get("text"):
                return _("Please describe the problem first.")
            location = data.get("location") or (None, None)
            report = projects.report_problem(turn.account, data["text"], photos=data.get("photos", []),
                                             latitude=location[0], longitude=location[1])
            turn.end()
            reference = "R%06d" % report.id
            return _("Thank you. Your report %(ref)s has been passed to the committee.", ref=reference)
        turn.goto(self, "describe", text=(turn.data.get("text", "") + "\n" + answer).strip()[:1000])
        return _("Noted. Add more, or reply 好 (done).")


def idle(turn):
    """Free text outside a conversation: probably a wish; otherwise the help text."""
    if turn.text and turn.account.dwelling_id is not None:
        codes = wishes.suggest_for(turn.account, turn.text)
        if codes:
            from bot.dispatcher import FLOWS
            return FLOWS["wish"].start(turn, text=turn.text, codes=codes)
    return help_text()


def welcome(turn):
    return _("Welcome to Gongjian, your compound's renovation service.") + "\n" + help_text()



def voice_not_understood():
    return _("Sorry, I could not make out the voice message. Please try again, or type.")


def unsupported():
    return _("I can read text, voice, photos and locations. Reply 帮助 (help) to see what I can do.")


@register
class VoteFlow(Flow):
    name = "vote"
    keywords = ("投票", "vote", "表决", "我要投票")
    menu_keys = ("VOTE",)
    OPTIONS = {"1": "agree", "2": "disagree", "3": "abstain"}

    def start(self, turn, **kwargs):
        from votes import services as votes
        if turn.account.dwelling_id is None and not votes.voting_dwellings(turn.account):
            return bind_prompt()
        open_votes = votes.votes_for_resident(turn.account)
        if not open_votes:
            if turn.account.kind != "owner":
                return _("Only owners vote in consent votes; as a resident you can still tell us your wishes.")
            return _("There is no open vote for your home right now.")
        turn.goto(self, "choose", votes=[[v.id, d] for v, d in open_votes])
        lines = [_("Open votes:")] + [f"{n} {v.title}" for n, (v, _d) in enumerate(open_votes, start=1)]
        lines.append(_("Reply with the number of the vote."))
        return "\n".join(lines)

    def resume(self, turn, step):
        return getattr(self, f"on_{step}")(turn)

    def on_choose(self, turn):
        from votes.models import Vote
        from core.extensions import db
        answer = turn.text.strip()
        choices = turn.data.get("votes", [])
        if not (answer.isdigit() and 1 <= int(answer) <= len(choices)):
            return _("Reply with the number of the vote.")
        vote_id, dwelling_ids = choices[int(answer) - 1]
        vote = db.session.get(Vote, vote_id)
        turn.goto(self, "decide", vote_id=vote_id, dwelling_ids=dwelling_ids)
        summary = (vote.text or "")[:300]
        privacy = (_("Each home's choice will be shown to the owners of this vote with the result.")
                   if vote.publish_details else _("Only the totals are published; your choice stays private."))
        return "\n".join([vote.title, summary, privacy,
                          _("Reply 1 to agree, 2 to disagree, 3 to abstain.")]).strip()

    def on_decide(self, turn):
        choice = self.OPTIONS.get(turn.text.strip()) or {"同意": "agree", "不同意": "disagree", "弃权": "abstain",
                                                        "agree": "agree", "disagree": "disagree",
                                                        "abstain": "abstain"}.get(turn.text.strip().lower())
        if choice is None:
            return _("Reply 1 to agree, 2 to disagree, 3 to abstain.")
        turn.goto(self, "confirm", choice=choice)
        return _("You chose 「%(choice)s」. Reply 1 to cast this ballot, 2 to cancel.", choice=choice_label(choice))

    def on_confirm(self, turn):
        from votes import services as votes
        answer = turn.text.strip().lower()
        if answer in NO:
            turn.end()
            return _("Cancelled; no ballot was cast.")
        if answer not in YES:
            return _("Reply 1 to cast this ballot, 2 to cancel.")
        data = turn.data
        turn.end()
        try:
            ballots = votes.cast_ballots(turn.account, data["vote_id"], data["choice"], "bot", data.get("dwelling_ids"))
        except DomainError as exc:
            return translate(exc.key, **exc.params)
        flats = "、".join(votes.dwelling_address(b.dwelling_id) for b in ballots)
        return _("Your ballot 「%(choice)s」 is recorded for %(flats)s. Receipt: %(receipt)s. You can change it "
                 "until the vote closes.", choice=choice_label(ballots[0].choice), flats=flats,
                 receipt=ballots[0].receipt)


def choice_label(choice):
    return {"agree": _("agree"), "disagree": _("disagree"), "abstain": _("abstain")}[choice]


@register
class SurveyFlow(Flow):
    name = "survey"
    keywords = ("问卷", "survey", "调查", "问卷调查")
    menu_keys = ("SURVEY",)
    CHAT_TYPES = {"single", "rating", "text"}
    MAX_CHAT_QUESTIONS = 10

    def start(self, turn, **kwargs):
        from surveys import services as surveys
        if turn.account.dwelling_id is None:
            return bind_prompt()
        found = surveys.open_surveys_for(turn.account)
        if not found:
            return _("There is no open survey for your home right now.")
        turn.goto(self, "choose", surveys=[s.id for s in found])
        lines = [_("Open surveys:")] + [f"{n} {s.title}" for n, s in enumerate(found, start=1)]
        lines.append(_("Reply with the number of the survey."))
        return "\n".join(lines)

    def resume(self, turn, step):
        return getattr(self, f"on_{step}")(turn)

    def _definition(self, survey_id):
        from core.extensions import db
        from surveys import services as surveys
        from surveys.models import Survey
        return surveys.definition_of(db.session.get(Survey, survey_id))

    def on_choose(self, turn):
        from surveys.engine import questions
        answer = turn.text.strip()
        choices = turn.data.get("surveys", [])
        if not (answer.isdigit() and 1 <= int(answer) <= len(choices)):
            return _("Reply with the number of the survey.")
        survey_id = choices[int(answer) - 1]
        all_questions = questions(self._definition(survey_id))
        if len(all_questions) > self.MAX_CHAT_QUESTIONS or any(
                q["type"] not in self.CHAT_TYPES for q in all_questions):
            turn.end()
            return _("This survey is too long for chat: please answer it in the Gongjian mini-program "
                     "(问卷 page). Thank you!")
        turn.goto(self, "answer", survey_id=survey_id, answers={}, current=None)
        return self.ask_next(turn)

    def ask_next(self, turn):
        from surveys import services as surveys
        from surveys.engine import questions, shown
        answers = turn.data.get("answers", {})
        for question in questions(self._definition(turn.data["survey_id"])):
            if question["id"] in answers or not shown(question.get("show_if"), answers):
                continue
            turn.goto(self, "answer", current=question["id"])
            title = question.get("title") or question["id"]
            if question["type"] == "rating":
                return "\n".join([title, _("Reply with a number from 1 (very unhappy) to 5 (very happy).")])
            if question["type"] == "text":
                return "\n".join([title, _("Reply in your own words (text or voice), or 0 to skip.")])
            options = [f"{n} {o.get('label', o['id'])}" for n, o in enumerate(question["options"], start=1)]
            return "\n".join([title, *options, _("Reply with the number of your answer.")])
        try:
            surveys.respond(turn.account, turn.data["survey_id"], answers, True)
        except DomainError as exc:
            turn.end()
            return translate(exc.key, **exc.params)
        turn.end()
        return _("Thank you! Your answers are recorded. You can change them in the mini-program until the "
                 "survey closes.")

    def on_answer(self, turn):
        from surveys.engine import questions
        question = next(q for q in questions(self._definition(turn.data["survey_id"]))
                        if q["id"] == turn.data.get("current"))
        answer = turn.text.strip()
        value = None
        if question["type"] == "rating" and answer in ("1", "2", "3", "4", "5"):
            value = int(answer)
        elif question["type"] == "text" and answer:
            value = "" if answer == "0" and not question.get("required") else answer[:2000]
        elif question["type"] == "single" and answer.isdigit() and 1 <= int(answer) <= len(question["options"]):
            value = question["options"][int(answer) - 1]["id"]
        if value is None:
            return _("Please reply with one of the numbers shown.")
        turn.goto(self, "answer", answers=dict(turn.data.get("answers", {}), **{question["id"]: value}))
        return self.ask_next(turn)
