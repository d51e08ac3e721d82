"""The conversations the official account offers. Each maps messages to a domain call and a reply.

Every reply is read through core.understanding, so a word or a digit means the same at every step:
1 yes / agree, 2 no / disagree, 3 abstain (votes only), 0 back / none; what is not understood is said so
and the question asked again, never stored."""
import re
from dataclasses import dataclass

from flask_babel import gettext as _, get_locale, lazy_gettext as _l

from bot.dispatcher import GATES, Flow, register
from core import accounts, understanding
from core.errors import DomainError, InvalidInput
from core.i18n import translate
from core.times import format_day, format_moment
from core.uploads import MAX_PHOTOS
from core.models import CatalogueClass, CompoundStatus
from core.registry import compound_of_dwelling
from projects.texts import stage_label
from stories import services as stories
from votes.texts import CHOICE_ORDER, choice_label
from wishes import services as wishes
from wishes.texts import status_label


def dwelling_label(dwelling):
    """'玉林小区 3栋2单元501' in the reader's language."""
    building = dwelling.unit.building
    return _("%(compound)s, building %(building)s unit %(unit)s room %(room)s",
             compound=building.compound.name, building=building.name, unit=dwelling.unit.name, room=dwelling.room)


def unit_label(unit):
    """'玉林小区 3栋2单元' in the reader's language."""
    return _("%(compound)s, building %(building)s, unit %(unit)s", compound=unit.building.compound.name,
             building=unit.building.name, unit=unit.name)


def kind_label(kind):
    return accounts.kind_label(kind)


def item_name(account, code):
    """A catalogue item's name in the resident's language."""
    return wishes.item_name(account, code) if account.dwelling_id else code


def class_name(cls):
    return {CatalogueClass.BASIC: _("basic (water, power, gas, roads, safety)"),
            CatalogueClass.IMPROVEMENT: _("improvement (lighting, parking, lifts, greening)"),
            CatalogueClass.ENHANCEMENT: _("enhancement (elderly care, childcare, shops)")}[cls]


def status_name(status):
    return status_label(status)


def locale():
    return str(get_locale() or "zh_Hans_CN")


def when(moment):
    """A time as residents read it (Beijing time, with the weekday)."""
    return format_moment(moment, locale())


def not_understood(question):
    """Say we did not understand, then ask the same question again."""
    return _("Sorry, I did not understand that.") + "\n" + question


def help_text():
    return _("You can reply:\n"
             "提诉求 (wish) · 我的诉求 (my wishes) · 进度 (progress)\n"
             "投票 (vote) · 问卷 (survey) · 通知 (notices)\n"
             "绑定 (bind) · 取消 (cancel) · %(switch)s\n"
             "Or just tell me what needs repairing, by text or voice.",
             switch="中文" if locale().startswith("en") else "English")


def bind_prompt():
    return _("First link WeChat to your home: scan the QR code in your stairwell, or reply 绑定 (bind) and the "
             "code from your neighbourhood committee.")


def no_code_hint():
    return _("No binding code? That is fine: scan the QR code in your stairwell, or ask your neighbourhood "
             "committee for a code. Reply 0 to go back.")


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
    keywords = ("取消", "cancel", "退出", "quit", "stop", "算了", "不要了", "返回")

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


ADDRESS_HINTS = ("栋", "单元", "号楼", "室", "楼", "building", "room")
NO_CODE = ("没有绑定码", "没有码", "没码", "没有", "不知道", "没有二维码", "什么是绑定码", "绑定码是什么", "no code",
           "没收到", "没有收到")


@register
class BindFlow(Flow):
    name = "bind"
    keywords = ("绑定", "bind", "绑定房屋", "认证")
    menu_keys = ("BIND",)
    MAX_TRIES = 5

    def start(self, turn, unit_id=None, **kwargs):
        account = turn.account
        if account.dwelling_id is not None and unit_id is None:
            return _("You are linked to %(home)s as %(kind)s. Reply 解绑 (unbind) to remove the link.",
                     home=dwelling_label(account.dwelling), kind=kind_label(account.kind))
        if unit_id is not None:
            unit = accounts.describe_unit(unit_id)
            if unit is None:
                turn.end()
                return _("This stairwell code is no longer valid. Please ask your neighbourhood committee for "
                         "a binding code, then reply 绑定 (bind).")
            turn.goto(self, "room", unit_id=unit_id, tries=0)
            return _("Welcome! You scanned the code of %(unit)s.\nPlease reply with your room number "
                     "(for example 501).", unit=unit_label(unit))
        turn.goto(self, "code", tries=0)
        return _("Please reply with the binding code from your neighbourhood committee.\n"
                 "No code? Scan the QR code in your stairwell instead. Reply 0 to go back.")

    def resume(self, turn, step):
        if understanding.is_cancel(turn.text):
            turn.end()
            return _("Stopped; nothing was linked. Reply 绑定 (bind) when you are ready.")
        return super().resume(turn, step)

    def _retry(self, turn, step, message):
        tries = turn.data.get("tries", 0) + 1
        if tries >= self.MAX_TRIES:
            turn.end()
            return _("That did not work several times. Please ask your neighbourhood committee for a binding "
                     "code, or scan the QR code in your stairwell.")
        turn.goto(self, step, tries=tries)
        return message

    def on_code(self, turn):
        text = understanding.normalise(turn.text)
        if text in NO_CODE or "没有" in text and "码" in text:
            turn.goto(self, "code")
            return no_code_hint()
        if any(hint in text for hint in ADDRESS_HINTS):
            return self._retry(turn, "code", _(
                "To link by your room number, please scan the QR code in your stairwell: it tells me your "
                "building and unit. Or ask your neighbourhood committee for a binding code. Reply 0 to go back."))
        try:
            accounts.bind_with_code(turn.account, turn.text)
        except DomainError:
            return self._retry(turn, "code", _(
                "This code is not valid or has expired. Please check it, or ask your neighbourhood committee "
                "for a new one. Reply 0 to go back."))
        turn.end()
        return self.bound_text(turn.account)

    def on_room(self, turn):
        unit = accounts.describe_unit(turn.data["unit_id"])
        room = _room(turn.text)
        try:
            accounts.find_dwelling(turn.data["unit_id"], room)
        except DomainError:
            return self._retry(turn, "room", _(
                "There is no room %(room)s in %(unit)s. Please check the number on your door and reply again, "
                "or reply 0 to go back.", room=room[:10], unit=unit_label(unit) if unit else ""))
        turn.goto(self, "last4", room=room)
        return _("Please reply with the last four digits of the phone number the committee has for you.")

    def on_last4(self, turn):
        try:
            outcome = accounts.bind_by_room(turn.account, turn.data["unit_id"], turn.data["room"],
                                            _digits(turn.text))
        except DomainError as exc:
            if exc.key == "bind.bad_last4":
                return self._retry(turn, "last4", _("Please reply with the last four digits of your phone "
                                                    "number, for example 5678. Reply 0 to go back."))
            turn.end()
            return translate(exc.key, **exc.params) + "\n" + _("Please ask your neighbourhood committee for a "
                                                               "binding code.")
        turn.end()
        if outcome == "household":
            return self.bound_text(turn.account) + "\n" + _(
                "To vote as an owner, reply 业主认证 (owner) with your ID number and property certificate number, "
                "or ask the committee for a binding code.")
        if outcome == "bound":
            return self.bound_text(turn.account)
        return _("Thank you. We could not confirm this from the owners' roll, so your neighbourhood "
                 "committee will check it; you will hear from us. A binding code from the committee "
                 "links you at once.")

    @staticmethod
    def bound_text(account):
        return _("Done: you are linked to %(home)s as %(kind)s. Reply 提诉求 (wish) to tell us what should "
                 "be renovated.", home=dwelling_label(account.dwelling), kind=kind_label(account.kind))


def _room(text):
    """A room number as typed or spoken: '五零一', '５０１', '501室' are 501."""
    room = understanding.normalise(text).replace(" ", "").removesuffix("室").removesuffix("号")
    number = understanding.parse_number(room)
    if number is not None and number.value is not None and number.value.denominator == 1 and not number.unit:
        return str(number.value)
    return room


def _digits(text):
    """Digits typed in any form: '５６７８' and '5 6 7 8' are 5678."""
    return "".join(ch for ch in understanding.normalise(text) if ch.isdigit())


# Flows that bind a home or file something: the resident agrees to the privacy notice first.
CONSENT_FLOWS = frozenset({"bind", "owner", "wish", "report", "vote", "survey", "election"})


def privacy_gate(turn, flow, kwargs):
    """The privacy notice instead of `flow` until the resident has agreed; None once they have."""
    if flow.name not in CONSENT_FLOWS or turn.account.privacy_consented_at is not None:
        return None
    from bot.dispatcher import FLOWS
    turn.goto(FLOWS["privacy"], "consent", then=flow.name, kwargs=kwargs)
    return privacy_question()


GATES.append(privacy_gate)


def home_gate(turn, flow, kwargs):
    """Asking to bind a home first, for a flow about one's home; None once a home is bound."""
    if flow.needs_home and turn.account.dwelling_id is None:
        return bind_prompt()
    return None


GATES.append(home_gate)  # after the privacy notice: consent is asked before the home


def privacy_question():
    from flask import current_app
    link = current_app.config.get("PUBLIC_URL", "").rstrip("/") + "/public/privacy"
    return _("Before we go on: we keep your home, phone digits and what you send us only to handle it with your "
             "neighbourhood committee, and never publish your name.\nFull text: %(link)s\n"
             "Reply 1 to agree, 0 if you do not.", link=link)


@register
class PrivacyFlow(Flow):
    name = "privacy"
    keywords = ("隐私", "隐私政策", "个人信息", "privacy")

    def start(self, turn, **kwargs):
        if turn.account.privacy_consented_at is not None:
            return _("You agreed to the privacy notice on %(day)s. Reply 删除我的信息 (delete my data) to have "
                     "your information deleted.", day=format_day(turn.account.privacy_consented_at, locale()))
        turn.goto(self, "consent", then=None, kwargs={})
        return privacy_question()

    def resume(self, turn, step):
        from bot.dispatcher import FLOWS, begin
        answer = understanding.parse_yes_no(turn.text)
        if understanding.is_cancel(turn.text) or answer is False:
            turn.end()
            return _("Without your agreement I cannot link your home or pass on wishes. You can still read "
                     "notices (reply 通知). Reply 隐私 (privacy) when you are ready.")
        if answer is not True:
            return not_understood(privacy_question())
        accounts.record_privacy_consent(turn.account, accounts.PRIVACY_VERSION)
        then, kwargs = turn.data.get("then"), dict(turn.data.get("kwargs") or {})
        turn.end()
        if then in FLOWS:
            return _("Thank you.") + "\n" + begin(FLOWS[then], turn, **kwargs)
        return _("Thank you.") + " " + _("Reply 帮助 (help) to see what I can do.")


@register
class OwnerFlow(Flow):
    """An owner verifies with the ID number and the property certificate number, as on the roll."""

    name = "owner"
    keywords = ("业主认证", "业主验证", "认证业主", "我是业主", "owner", "verify owner")

    def start(self, turn, **kwargs):
        turn.goto(self, "id_number")
        return _("Owners who vote are checked against the owners' roll. Please reply with your ID number "
                 "(18 characters). Reply 0 to go back.")

    def resume(self, turn, step):
        if understanding.is_cancel(turn.text):
            turn.end()
            return _("Stopped. You can also ask your neighbourhood committee for an owner's binding code.")
        return super().resume(turn, step)

    def on_id_number(self, turn):
        from core import identity, pii
        try:
            number = identity.normalise_document("cn_id", understanding.normalise(turn.text).upper())
        except DomainError:
            return _("That is not a valid ID number. Please check it and reply again, or reply 0 to go back.")
        # Kept until the next message only, and encrypted: an ID number is never stored in clear.
        turn.goto(self, "certificate", id_number=pii.keys().encrypt(number))
        return _("Thank you. Now please reply with the number on your property certificate (不动产权证号).")

    def on_certificate(self, turn):
        from core import pii
        id_number = pii.keys().decrypt(turn.data.get("id_number"))
        turn.end()
        try:
            accounts.bind_as_owner(turn.account, id_number, turn.text.strip())
        except DomainError as exc:
            if exc.key in ("bind.too_many", "bind.too_many_flat"):
                return translate(exc.key)
            return _("These numbers do not match the owners' roll. Please ask your neighbourhood committee "
                     "for a binding code.")
        return BindFlow.bound_text(turn.account) + "\n" + _("Reply 投票 (vote) to vote.")


@register
class DeletionFlow(Flow):
    name = "deletion"
    keywords = ("删除我的信息", "删除信息", "删除我的数据", "注销", "delete my data")

    def start(self, turn, **kwargs):
        turn.goto(self, "confirm")
        return self.question()

    @staticmethod
    def question():
        return _("Delete your information? It cannot be undone.\n"
                 "Your link to your home, your phone number, your wishes and answers go, and your authorisation "
                 "to vote for another home ends.\n"
                 "Ballots already cast, also as a proxy, stay counted without your name, as the law requires.\n"
                 "Reply 1 to delete, 0 to keep it.")

    def resume(self, turn, step):
        from privacy.deletion import delete_my_data
        answer = understanding.parse_yes_no(turn.text)
        if understanding.is_cancel(turn.text) or answer is False:
            turn.end()
            return _("Nothing was deleted.")
        if answer is not True:
            return not_understood(self.question())
        turn.end()
        delete_my_data(turn.account)
        return _("Your information is deleted. Thank you for taking part; you are welcome back at any time.")


@register
class UnbindFlow(Flow):
    name = "unbind"
    keywords = ("解绑", "unbind", "解除绑定")

    def start(self, turn, **kwargs):
        if turn.account.dwelling_id is None:
            return _("You are not linked to a home.")
        turn.goto(self, "confirm")
        return self.question(turn)

    @staticmethod
    def question(turn):
        return _("Remove the link to %(home)s? Reply 1 to remove it, 0 to keep it.",
                 home=dwelling_label(turn.account.dwelling))

    def resume(self, turn, step):
        answer = understanding.parse_yes_no(turn.text)
        if understanding.is_cancel(turn.text) or answer is False:
            turn.end()
            return _("Nothing changed.")
        if answer is not True:
            return not_understood(self.question(turn))
        turn.end()
        accounts.unbind(turn.account)
        return _("The link is removed. Reply 绑定 (bind) to link again.")


@register
class WishFlow(Flow):
    name = "wish"
    keywords = ("提诉求", "诉求", "wish", "提意见", "我要提诉求")
    menu_keys = ("WISH",)
    needs_home = True
    CLASSES = (CatalogueClass.BASIC, CatalogueClass.IMPROVEMENT, CatalogueClass.ENHANCEMENT)

    def start(self, turn, text=None, codes=None, **kwargs):
        if text:
            return self.suggest(turn, text, codes)
        turn.goto(self, "class")
        return self.class_menu()

    def class_menu(self):
        lines = [_("What should be renovated? Choose a class:")]
        lines += [f"{n} {class_name(cls)}" for n, cls in enumerate(self.CLASSES, start=1)]
        lines.append(_("Or just tell me in your own words (text or voice). Reply 0 to stop."))
        return "\n".join(lines)

    def on_class(self, turn):
        if understanding.is_cancel(turn.text):
            turn.end()
            return _("Cancelled; nothing was submitted.")
        index = understanding.parse_choice(turn.text, [class_name(c) for c in self.CLASSES])
        if index is None:
            if understanding.is_content(turn.text):
                return self.suggest(turn, turn.text)
            return not_understood(self.class_menu())
        cls = self.CLASSES[index]
        items = [e for e in self._catalogue(turn) if e[1] == cls]
        turn.goto(self, "item", choices=[code for code, _cls, _name in items], names=[n for _c, _k, n in items])
        return self.item_menu(turn)

    def item_menu(self, turn):
        lines = [_("Reply with the number of the item (0 to go back):")]
        lines += [f"{n} {name}" for n, name in enumerate(turn.data.get("names", []), start=1)]
        return "\n".join(lines)

    def on_item(self, turn):
        if understanding.is_cancel(turn.text):
            turn.goto(self, "class")
            return self.class_menu()
        choices = turn.data.get("choices", [])
        index = understanding.parse_choice(turn.text, turn.data.get("names", []))
        if index is not None:
            return self.ask_detail(turn, choices[index], "")
        if understanding.is_content(turn.text) and understanding.parse_number(turn.text) is None:
            return self.suggest(turn, turn.text)
        return not_understood(self.item_menu(turn))

    def suggest(self, turn, text, codes=None):
        text = (text or "").strip()[:wishes.MAX_TEXT]
        codes = wishes.suggest_for(turn.account, text) if codes is None else codes
        if not codes:
            return self.ask_detail(turn, None, text)
        turn.goto(self, "suggest", choices=codes, text=text)
        return self.suggest_question(turn)

    def suggest_question(self, turn):
        codes = turn.data.get("choices", [])
        if len(codes) == 1:
            return _("Do you mean 「%(item)s」? Reply 1 for yes, 0 if not.", item=item_name(turn.account, codes[0]))
        lines = [_("Do you mean one of these? Reply with its number, or 0 if none fits:")]
        lines += [f"{n} {item_name(turn.account, code)}" for n, code in enumerate(codes, start=1)]
        return "\n".join(lines)

    def on_suggest(self, turn):
        choices = turn.data.get("choices", [])
        text = turn.data.get("text", "")
        if understanding.is_cancel(turn.text) or (
                len(choices) == 1 and understanding.parse_yes_no(turn.text) is False):
            return self.ask_detail(turn, None, text, choices)  # none fits: the wish keeps the resident's words
        names = [item_name(turn.account, code) for code in choices]
        index = understanding.parse_choice(turn.text, names)
        if index is None and len(choices) == 1 and understanding.parse_yes_no(turn.text):
            index = 0
        if index is not None:
            return self.ask_detail(turn, choices[index], text, choices)
        if understanding.is_content(turn.text) and understanding.parse_number(turn.text) is None:
            return self.suggest(turn, turn.text)
        return not_understood(self.suggest_question(turn))

    def ask_detail(self, turn, code, text, suggested=None):
        turn.goto(self, "detail", code=code, text=text, photos=[], location=None, suggested=suggested or [])
        return self.detail_question()

    @staticmethod
    def detail_question():
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
        if understanding.is_done(turn.text) or understanding.is_cancel(turn.text):
            return self.ask_confirm(turn)
        if not understanding.is_content(turn.text):
            return not_understood(self.detail_question())
        text = (turn.data.get("text", "") + "\n" + turn.text.strip()).strip()[:wishes.MAX_TEXT]
        turn.goto(self, "detail", text=text)
        return _("Noted. Add more, or reply 好 (done).")

    def ask_confirm(self, turn):
        data = turn.data
        if not data.get("code") and not data.get("text"):
            turn.goto(self, "detail")
            return _("Please tell me what should be renovated first (text or voice), or reply 取消 (cancel).")
        turn.goto(self, "confirm")
        return self.confirm_question(turn)

    def confirm_question(self, turn):
        data = turn.data
        item = item_name(turn.account, data["code"]) if data.get("code") else _("(not chosen)")
        return _("Please confirm your wish:\nItem: %(item)s\nDescription: %(text)s\nPhotos: %(photos)s\n"
                 "Reply 1 to submit, 0 to cancel.", item=item, text=data.get("text") or "-",
                 photos=len(data.get("photos", [])))

    def on_confirm(self, turn):
        answer = understanding.parse_yes_no(turn.text)
        if understanding.is_cancel(turn.text) or (answer is False and understanding.normalise(turn.text) != "2"):
            turn.end()
            return _("Cancelled; nothing was submitted.")
        if answer is not True or understanding.normalise(turn.text) == "2":
            return not_understood(self.confirm_question(turn))
        data = turn.data
        location = data.get("location") or (None, None)
        wish = wishes.file_wish(turn.account, "bot", text=data.get("text", ""), catalogue_code=data.get("code"),
                                photos=data.get("photos", []), latitude=location[0], longitude=location[1],
                                suggested=data.get("suggested"))
        turn.end()
        return _("Submitted. Your reference number is %(ref)s. Reply 我的诉求 (my wishes) to follow it.",
                 ref=wish.reference)

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
        lines, told = [_("Your latest wishes:")], stories.prefetch(mine, turn.account.locale, {})
        for wish in mine:
            item = item_name(turn.account, wish.catalogue_code) if wish.catalogue_code else (wish.text[:12] or "-")
            lines.append(f"{wish.reference} {item}: {status_name(wish.status)}")
            for step in stories.story_lines(wish, turn.account.locale, told)[-2:]:
                lines.append("  · " + step)
            if wish.answer:
                lines.append("  " + _("Answer: %(answer)s", answer=wish.answer[:200]))
        return "\n".join(lines)


@register
class ProgressFlow(Flow):
    name = "progress"
    keywords = ("进度", "progress", "改造进度", "项目进度")
    menu_keys = ("PROGRESS",)
    needs_home = True

    def start(self, turn, **kwargs):
        from projects import services as projects
        from projects.rules import STAGES
        compound = compound_of_dwelling(turn.account.dwelling_id)
        try:
            project = projects.project_for_resident(turn.account, compound.id)
        except DomainError:
            stage = {CompoundStatus.REGISTERED: _("registered"), CompoundStatus.RESERVE: _("in the project reserve"),
                     CompoundStatus.PLANNED: _("in this year's plan"), CompoundStatus.RENOVATING: _("being renovated"),
                     CompoundStatus.COMPLETED: _("renovation completed"),
                     CompoundStatus.EXCLUDED: _("not in the scheme")}.get(compound.status, compound.status)
            return _("%(compound)s: %(stage)s. There is no renovation project with a timeline yet; "
                     "we will tell you when it starts.", compound=compound.name, stage=stage)
        index = STAGES.index(project.stage)
        following = STAGES[index + 1] if index + 1 < len(STAGES) else None
        progress, planned, mode = projects.resident_progress(project, following, compound.id)
        lines = [_("%(project)s: now at %(stage)s, %(progress)s%% done.", project=project.name,
                   stage=stage_label(project.stage), progress=progress)]
        if following:
            lines.append(_("Next: %(stage)s, planned from %(date)s.", stage=stage_label(following),
                           date=format_day(planned, locale()))
                         if planned else _("Next: %(stage)s.", stage=stage_label(following)))
        if mode is not None:
            from projects.care import mode_label
            lines.append(_("After the renovation the compound is managed by %(mode)s, as the owners voted.",
                           mode=mode_label(mode)))
        lines.append(_("Reply 反映问题 (report) to report a problem on site."))
        return "\n".join(lines)


@register
class ReportFlow(Flow):
    name = "report"
    keywords = ("反映问题", "报告问题", "report", "投诉", "问题反映")
    menu_keys = ("REPORT",)
    needs_home = True

    def start(self, turn, **kwargs):
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
        if understanding.is_done(turn.text) or understanding.is_cancel(turn.text):
            from projects import services as projects
            data = turn.data
            if not data.get("text"):
                if understanding.is_cancel(turn.text):
                    turn.end()
                    return _("Cancelled; nothing was submitted.")
                return _("Please describe the problem first.")
            location = data.get("location") or (None, None)
            report = projects.report_problem(turn.account, data["text"], photos=data.get("photos", []),
                                             latitude=location[0], longitude=location[1], channel="bot")
            turn.end()
            reference = "R%06d" % report.id
            return _("Thank you. Your report %(ref)s has been passed to the committee.", ref=reference)
        if not understanding.is_content(turn.text):
            return not_understood(_("Describe the problem, or reply 好 (done) when finished."))
        turn.goto(self, "describe", text=(turn.data.get("text", "") + "\n" + turn.text.strip()).strip()[:1000])
        return _("Noted. Add more, or reply 好 (done).")


@register
class NoticesFlow(Flow):
    name = "notices"
    keywords = ("通知", "消息", "notices", "notice", "messages", "我的通知", "最新通知", "看通知", "公告")
    menu_keys = ("NOTICES",)
    SHOWN = 5

    def start(self, turn, **kwargs):
        from notices import services as notices
        from notices.texts import render
        entries = notices.inbox(turn.account, limit=self.SHOWN)
        if not entries:
            return _("You have no notices yet. We will message you here when there is news for your home.")
        lines = [_("Your latest notices:")]
        for n, delivery in enumerate(entries, start=1):
            words = render(delivery.notice, turn.account.locale)
            headline = f"{words.title}：{words.detail}" if words.detail else words.title
            lines.append(f"{n} {headline[:30]}（{when(delivery.notice.created_at)}）")
        lines.append(_("Reply with a number to read it in full."))
        turn.goto(self, "read", deliveries=[d.id for d in entries])
        return "\n".join(lines)

    def resume(self, turn, step):
        from notices import services as notices
        if understanding.is_cancel(turn.text):
            turn.end()
            return _("Reply 帮助 (help) to see what I can do.")
        ids = turn.data.get("deliveries", [])
        index = understanding.parse_choice(turn.text, [""] * len(ids))
        if index is None:
            return not_understood(_("Reply with the number of a notice, or 0 to stop."))
        delivery = notices.my_delivery(turn.account, ids[index])
        notices.mark_read(turn.account, delivery.id)
        return read_notice(turn.account, delivery) + "\n" + _("Reply another number, or 0 to stop.")


def read_notice(account, delivery):
    """A notice's whole text, as the chat shows it."""
    from notices.texts import full_text, render
    words = render(delivery.notice, account.locale)
    text = full_text(words, account.locale)
    if words.when:
        return text + "\n" + _("Time: %(time)s", time=when(words.when))
    return text + "\n" + _("Sent %(time)s", time=when(delivery.notice.created_at))


def idle(turn):
    """Free text outside a conversation: a notice the resident asks about, probably a wish, else the help."""
    if not turn.text:
        return help_text()
    found = _notice_about(turn)
    if found is not None:
        return read_notice(turn.account, found) + "\n" + _("Reply 通知 (notices) for your other notices.")
    if turn.account.dwelling_id is not None and understanding.is_content(turn.text):
        codes = wishes.suggest_for(turn.account, turn.text)
        if codes:
            from bot.dispatcher import FLOWS, begin
            return begin(FLOWS["wish"], turn, text=turn.text, codes=codes)
    if turn.account.dwelling_id is None and understanding.is_content(turn.text) and re.search(
            r"[\u4e00-\u9fff]{2}", turn.text):
        return _("To pass this to your neighbourhood committee, I need to know your home.") + "\n" + bind_prompt()
    return help_text()


def _notice_about(turn):
    """A recent notice of the resident's whose headline the short message names (停水 -> 停水通知)."""
    from notices import services as notices
    from notices.texts import render
    words = understanding.normalise(turn.text)
    if not words or len(words) > 8 or not understanding.is_content(words):
        return None
    for delivery in notices.inbox(turn.account, limit=10):
        text = render(delivery.notice, turn.account.locale)
        if words in text.title.lower() or words in (text.detail or "").lower():
            return delivery
    return None


def welcome(turn):
    return _("Welcome to Gongjian, your compound's renovation service.") + "\n" + help_text()


def voice_not_understood():
    return _("Sorry, I could not make out the voice message. Please try again, or type.")


def unsupported():
    return _("I can read text, voice, photos and locations. Reply 帮助 (help) to see what I can do.")


@dataclass(frozen=True)
class BallotWords:
    """What a ballot's conversation says that names its kind (lazy strings, read in the resident's language)."""

    listed: object       # over the numbered list of those open
    pick_one: object     # under it
    stopped: object      # the resident goes back from the list
    owners_only: object  # nothing open, to a resident who is not an owner
    none_open: object    # nothing open, to an owner


class AskAgain(Exception):
    """A reply to a ballot's question that cannot be used: say why (the first argument), then ask again."""


class BallotFlow(Flow):
    """The steps a consent vote and an election share: choose one of those open, answer its question, confirm,
    and the receipt. The steps keep the names and the data they always had, so a conversation left open goes on.

    A kind of ballot supplies what differs: takes_part_without_home(account); open_for(account), pairs of
    (what the choose step keeps, title); enter(turn, kept), which goes to the question step and shows the ballot;
    question(turn); understand(turn), what the reply chooses as kept for the confirmation, None if not understood
    (or AskAgain); confirm_question(turn); unchanged(turn), which ends without casting; cast(account, data),
    through its service; receipt(data, cast)."""

    words = None
    listed_as = ""       # where the choose step keeps what is open, one entry for each title
    question_step = ""   # the step that asks the ballot's question

    def start(self, turn, **kwargs):
        account = turn.account
        if account.dwelling_id is None and not self.takes_part_without_home(account):
            return bind_prompt()
        found = self.open_for(account)
        if not found:
            return str(self.words.owners_only if account.kind != "owner" else self.words.none_open)
        turn.goto(self, "choose", **{self.listed_as: [kept for kept, _title in found]},
                  titles=[title for _kept, title in found])
        if len(found) == 1:
            return self.enter(turn, turn.data[self.listed_as][0])
        return self.menu(turn)

    def menu(self, turn):
        """Those open, numbered."""
        lines = [str(self.words.listed)]
        lines += [f"{n} {title}" for n, title in enumerate(turn.data.get("titles", []), start=1)]
        lines.append(str(self.words.pick_one))
        return "\n".join(lines)

    def resume(self, turn, step):
        if step == self.question_step:
            return self.on_question(turn)
        return super().resume(turn, step)

    def on_choose(self, turn):
        if understanding.is_cancel(turn.text):
            turn.end()
            return str(self.words.stopped)
        index = understanding.parse_choice(turn.text, turn.data.get("titles", []))
        if index is None:
            return not_understood(self.menu(turn))
        return self.enter(turn, turn.data[self.listed_as][index])

    def on_question(self, turn):
        if understanding.is_cancel(turn.text):
            return self.unchanged(turn)
        try:
            chosen = self.understand(turn)
        except AskAgain as again:
            return again.args[0] + "\n" + self.question(turn)
        if chosen is None:
            return not_understood(self.question(turn))
        turn.goto(self, "confirm", **chosen)
        return self.confirm_question(turn)

    def on_confirm(self, turn):
        text = understanding.normalise(turn.text)
        answer = understanding.parse_yes_no(turn.text)
        if understanding.is_cancel(turn.text) or (answer is False and text != "2"):
            return self.unchanged(turn)
        if answer is not True or text == "2":  # "2" may still answer the question (disagree, a candidate)
            return not_understood(self.confirm_question(turn))
        data = turn.data
        turn.end()
        try:
            cast = self.cast(turn.account, data)
        except DomainError as exc:
            return translate(exc.key, **exc.params)
        return self.receipt(data, cast)


@register
class VoteFlow(BallotFlow):
    name = "vote"
    keywords = ("投票", "vote", "表决", "我要投票")
    menu_keys = ("VOTE",)
    words = BallotWords(
        listed=_l("Open votes:"), pick_one=_l("Reply with the number of the vote, or 0 to stop."),
        stopped=_l("Stopped. Reply 投票 (vote) to come back."),
        owners_only=_l("Only owners vote in consent votes; as a resident you can still tell us your wishes."),
        none_open=_l("There is no open vote for your home right now."))
    listed_as = "votes"
    question_step = "decide"

    def takes_part_without_home(self, account):
        """An owner on the roll votes for the homes they own, bound or not."""
        from votes import services as votes
        return bool(votes.voting_dwellings(account))

    def open_for(self, account):
        """The open votes, each with the homes the account votes for."""
        from votes import services as votes
        return [([v.id, sorted(d)], v.title) for v, d in votes.votes_for_resident(account)]

    def enter(self, turn, kept):
        """A vote's matter, its deadline, the household's current choice, and the question."""
        from bot.publicity import lift_share_line
        from votes import services as votes
        vote_id, dwelling_ids = kept
        vote = votes.resident_vote(vote_id)
        turn.goto(self, "decide", vote_id=vote_id, dwelling_ids=dwelling_ids, title=vote.title)
        lines = [vote.title]
        summary = (vote.text or "").strip()[:300]
        if summary:
            lines.append(summary)
        lines.append(_("Voting closes %(deadline)s.", deadline=when(vote.closes_at)))
        lines.append(_("Each home's choice will be shown to the owners of this vote with the result.")
                     if vote.publish_details else _("Only the totals are published; your choice stays private."))
        share = lift_share_line(vote_id, dwelling_ids)  # a lift vote: the owner's own share and the rule
        if share:
            lines.append(share)
        ballot = votes.my_ballot(turn.account, vote_id)
        turn.goto(self, "decide", current=ballot.choice if ballot is not None else None)
        if ballot is not None:
            lines.append(_("Your home has voted 「%(choice)s」 (%(time)s). To change it, reply a new choice; "
                           "reply 0 to keep it.", choice=choice_label(ballot.choice), time=when(ballot.cast_at)))
        lines.append(self.question(turn))
        return "\n".join(lines)

    def question(self, turn):
        """The choices, numbered."""
        return _("Reply 1 to agree, 2 to disagree, 3 to abstain, 0 to go back.")

    @staticmethod
    def choice_names():
        """Each choice as the reader calls it, and in Chinese too (同意 is understood in English as well)."""
        return [choice_label(c) for c in CHOICE_ORDER]

    def understand(self, turn):
        """The choice named by number or by word."""
        index = understanding.parse_choice(turn.text, self.choice_names())
        if index is None:
            index = understanding.parse_choice(turn.text, ["同意", "不同意", "弃权"])
        return None if index is None else {"choice": CHOICE_ORDER[index]}

    def unchanged(self, turn):
        """Nothing cast: the home's current ballot, if any, stands."""
        current = turn.data.get("current")
        turn.end()
        if current:
            return _("Nothing changed: your home's ballot stays 「%(choice)s」.", choice=choice_label(current))
        return _("Nothing changed; no ballot was cast. Reply 投票 (vote) to come back.")

    def confirm_question(self, turn):
        """The choice, and whether to cast it."""
        return _("%(title)s: you chose 「%(choice)s」.\nReply 1 to cast this ballot, 0 to go back.",
                 title=turn.data.get("title", ""), choice=choice_label(turn.data["choice"]))

    def cast(self, account, data):
        """One ballot for each home the account votes for."""
        from votes import services as votes
        return votes.cast_ballots(account, data["vote_id"], data["choice"], "bot", data.get("dwelling_ids"))

    def receipt(self, data, cast):
        """The choice, the homes and the receipt to check it by."""
        from votes import services as votes
        flats = "、".join(votes.dwelling_address(b.dwelling_id) for b in cast)
        return _("Your ballot 「%(choice)s」 is recorded for %(flats)s. Receipt: %(receipt)s. You can change it "
                 "until the vote closes.", choice=choice_label(cast[0].choice), flats=flats, receipt=cast[0].receipt)


@register
class ElectionFlow(BallotFlow):
    """An owner takes part in electing the owners' committee: up to as many candidates as there are seats."""

    name = "election"
    keywords = ("选举", "election", "业委会选举", "选举业委会", "业主委员会选举")
    words = BallotWords(
        listed=_l("Open elections:"), pick_one=_l("Reply with the number of the election, or 0 to stop."),
        stopped=_l("Stopped. Reply 选举 (election) to come back."),
        owners_only=_l("Only owners elect the owners' committee; as a resident you can still tell us your "
                       "wishes."),
        none_open=_l("There is no open election for your home right now."))
    listed_as = "elections"
    question_step = "pick"
    NOBODY = ("不选", "都不选", "一个都不选", "none")

    def takes_part_without_home(self, account):
        """An owner known by person elects for the homes they own."""
        return bool(account.person_id)

    def open_for(self, account):
        """The open elections the account's homes take part in."""
        from projects import care
        return [(e.id, e.title) for e in care.elections_for_owner(account)]

    def enter(self, turn, kept):
        """The election, its candidates numbered, the deadline, the home's current ballot, and the question."""
        from projects import care
        election = care.resident_election(kept)
        candidates = [[c.id, c.name] for c in election.candidates]
        turn.goto(self, "pick", election_id=election.id, title=election.title, seats=election.seats,
                  candidates=candidates)
        lines = [election.title, _("Voting closes %(deadline)s.", deadline=when(election.closes_at))]
        for n, c in enumerate(election.candidates, start=1):
            line = _("%(n)s %(name)s (nominated by %(who)s)", n=n, name=c.name, who=c.nominated_by)
            lines.append(f"{line} {c.statement}".rstrip())
        ballot = care.my_election_ballot(turn.account, election)
        if ballot is not None:
            names = [name for cid, name in candidates if cid in ballot.candidate_ids]
            lines.append(_("Your home has voted for: %(names)s (%(time)s). To change it, reply again; reply 0 to "
                           "keep it.", names="、".join(names) or _("nobody"), time=when(ballot.at)))
        lines.append(self.question(turn))
        return "\n".join(lines)

    def question(self, turn):
        """How many candidates may be agreed to, and how to reply."""
        return _("Reply the numbers of up to %(seats)s candidates you agree to, e.g. 1 3; reply 不选 to take part "
                 "without agreeing to anyone; 0 to go back.", seats=turn.data.get("seats"))

    def understand(self, turn):
        """The candidates named by number or name, no more than the seats; or nobody."""
        candidates = turn.data.get("candidates", [])
        if understanding.normalise(turn.text) in self.NOBODY:
            return {"chosen": []}
        chosen = understanding.parse_choices(turn.text, [name for _id, name in candidates])
        if chosen is None:
            return None
        if len(chosen) > turn.data.get("seats", 0):
            raise AskAgain(_("You may agree to at most %(seats)s candidates.", seats=turn.data.get("seats")))
        return {"chosen": [candidates[i][0] for i in chosen]}

    def unchanged(self, turn):
        """Nothing cast."""
        turn.end()
        return _("Nothing changed. Reply 选举 (election) to come back.")

    def confirm_question(self, turn):
        """The candidates agreed to, and whether to cast the ballot."""
        names = [name for cid, name in turn.data.get("candidates", []) if cid in turn.data.get("chosen", [])]
        return _("%(title)s: you agree to %(names)s.\nReply 1 to cast this ballot, 0 to go back.",
                 title=turn.data.get("title", ""), names="、".join(names) or _("nobody"))

    def cast(self, account, data):
        """The home's ballot in the election."""
        from projects import care
        return care.cast_election_ballot(account, data["election_id"], data["chosen"], channel="bot")

    def receipt(self, data, cast):
        """Recorded, and until when it may be changed."""
        from projects import care
        election = care.resident_election(data["election_id"])
        return _("Your ballot is recorded. You can change it until voting closes %(deadline)s.",
                 deadline=when(election.closes_at))


@register
class StaffLinkFlow(Flow):
    """A staff member sends the one-time code from their panel page; their alerts then come to this account."""

    name = "staff_link"
    keywords = ("工作人员", "工作人员绑定", "绑定工作人员", "staff", "staff alerts")

    def start(self, turn, **kwargs):
        turn.goto(self, "code")
        return _("Staff: send the code shown on your page 「Alerts on WeChat」 in the panel, or 0 to stop.")

    def resume(self, turn, step):
        from core.staff import link_wechat
        if understanding.is_cancel(turn.text):
            turn.end()
            return _("Stopped. Nothing was linked.")
        turn.end()
        try:
            staff = link_wechat(turn.account, turn.text)
        except InvalidInput as exc:
            return translate(exc.errors[0]["key"])
        except DomainError as exc:
            return translate(exc.key, **exc.params)
        return _("Linked to %(name)s (%(region)s). Alerts about overdue stages, open findings and reports passed "
                 "to you will come here. To stop them, unlink on the same page in the panel.", name=staff.name,
                 region=staff.region.name)


@register
class SurveyFlow(Flow):
    """A survey asked question by question; each question's type asks itself and reads the reply."""

    name = "survey"
    keywords = ("问卷", "survey", "调查", "问卷调查")
    menu_keys = ("SURVEY",)
    needs_home = True

    def start(self, turn, **kwargs):
        from surveys import services as surveys
        found = surveys.open_surveys_for(turn.account)
        if not found:
            return _("There is no open survey for your home right now.")
        if len(found) == 1:
            return self._begin(turn, found[0].id)
        turn.goto(self, "choose", surveys=[s.id for s in found])
        lines = [_("Open surveys:")] + [f"{n} {s.title}" for n, s in enumerate(found, start=1)]
        lines.append(_("Reply with the number of the survey."))
        return "\n".join(lines)

    @staticmethod
    def _survey(turn, survey_id):
        from surveys import services as surveys
        return surveys.survey_for_resident(turn.account, survey_id)

    def on_choose(self, turn):
        from surveys.reading import small_int
        number = small_int(turn.text)
        choices = turn.data.get("surveys", [])
        if number is None or not 1 <= number <= len(choices):
            return _("Reply with the number of the survey.")
        return self._begin(turn, choices[number - 1])

    def _begin(self, turn, survey_id):
        """The survey's title and first question, or why chat can't ask it and where to answer instead."""
        from flask import current_app
        from surveys.engine import chat_obstacle, questions
        from surveys.texts import miniprogram_line, say
        try:
            survey, definition = self._survey(turn, survey_id)
        except DomainError as exc:
            turn.end()
            return translate(exc.key, **exc.params)
        obstacle = chat_obstacle(definition)
        if obstacle:
            turn.end()
            return "\n".join([survey.title, say(obstacle[0], **obstacle[1]),
                              miniprogram_line(survey.id, current_app.config.get("WECHAT_MINI_APPID"))])
        turn.goto(self, "answer", survey_id=survey_id, answers={}, current=None, partial=None)
        head = _("「%(title)s」: %(count)s questions. Reply 取消 (cancel) at any time to stop.",
                 title=survey.title, count=len(questions(definition)))
        return "\n".join([head, self.ask_next(turn, definition)])

    def _prompt(self, question, partial, position):
        from surveys.kinds import kind_of
        from surveys.texts import say
        kind = kind_of(question)
        prompt = kind.ask(question, partial)
        lines = [f"{position[0]}/{position[1]} {prompt.lines[0]}", *prompt.lines[1:],
                 say(prompt.hint, **prompt.params)]
        if not question.get("required") and partial is None and kind.skip_hint:
            lines.append(say(kind.skip_hint))
        return "\n".join(lines)

    def ask_next(self, turn, definition):
        from surveys import services as surveys
        from surveys.engine import questions, shown
        answers = turn.data.get("answers", {})
        everything = questions(definition)
        for position, question in enumerate(everything, start=1):
            if question["id"] in answers or not shown(question.get("show_if"), answers):
                continue
            turn.goto(self, "answer", current=question["id"], partial=None)
            return self._prompt(question, None, (position, len(everything)))
        survey_id = turn.data["survey_id"]
        turn.end()
        try:
            surveys.respond(turn.account, survey_id, answers, True)
        except DomainError as exc:
            return translate(exc.key, **exc.params)
        return _("Thank you! Your answers are recorded. You can change them in the mini-program until the "
                 "survey closes.")

    def on_answer(self, turn):
        from surveys.engine import questions
        from surveys.kinds import NotUnderstood, kind_of
        from surveys.texts import say
        try:
            _survey, definition = self._survey(turn, turn.data["survey_id"])
        except DomainError as exc:
            turn.end()
            return translate(exc.key, **exc.params)
        everything = questions(definition)
        found = [(n, q) for n, q in enumerate(everything, start=1) if q["id"] == turn.data.get("current")]
        if not found:                      # the survey was edited meanwhile: go on with what is still asked
            return self.ask_next(turn, definition)
        position, question = found[0]
        kind, partial = kind_of(question), turn.data.get("partial")
        skipped = understanding.normalise(turn.text) in kind.skip_words
        if partial is None and not question.get("required") and skipped:
            value, echo = "", None
        else:
            try:
                understood = kind.understand(question, turn.text, partial)
            except NotUnderstood as exc:
                return "\n".join([say(exc.key, **exc.params),
                                  self._prompt(question, partial, (position, len(everything)))])
            if not understood.done:
                turn.goto(self, "answer", partial=understood.value)
                return self._prompt(question, understood.value, (position, len(everything)))
            value, echo = understood.value, understood.echo
        turn.goto(self, "answer", answers=dict(turn.data.get("answers", {}), **{question["id"]: value}),
                  partial=None)
        following = self.ask_next(turn, definition)
        return "\n".join([_("Noted: %(value)s.", value=echo), following]) if echo else following
