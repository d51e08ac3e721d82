"""The words of surveys, for every door: states, question kinds, conditions, the texts of generated surveys and
what the engine's keys say; translated when used (lazy), in the language of whoever reads them."""
from flask_babel import gettext as _, lazy_gettext as _l

SURVEY_STATES = {"draft": _l("draft"), "open": _l("open"), "closed": _l("closed")}
QUESTION_TYPES = {"single": _l("one choice"), "multiple": _l("several choices"), "ranking": _l("ranking"),
                  "rating": _l("rating 1 to 5"), "number": _l("number"), "text": _l("text"),
                  "matrix": _l("grid of ratings"), "photo": _l("photo"), "catalogue": _l("renovation items")}
CONDITION_OPS = {"equals": _l("is"), "not_equals": _l("is not"), "contains": _l("includes"),
                 "answered": _l("is answered")}

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


# What the pure engine's keys say to residents in chat and to staff on the results page.
MESSAGES = {
    "survey.chat.one": _l("Reply with the number of your answer."),
    "survey.chat.one_or_other": _l("Reply with the number of your answer. If none fits, reply %(other)s and "
                                   "then say what you think."),
    "survey.chat.other_text": _l("Please say in a few words what you think."),
    "survey.chat.not_one": _l("Sorry, I did not understand that. Please reply with a number from 1 to "
                              "%(highest)s."),
    "survey.chat.several": _l("Reply with the numbers of your choices, for example %(example)s (%(min)s to "
                              "%(max)s of them)."),
    "survey.chat.count": _l("Please choose %(min)s to %(max)s of them."),
    "survey.chat.rank": _l("Reply with all %(count)s numbers in order, the one you want most first, for "
                           "example %(example)s."),
    "survey.chat.not_understood": _l("Sorry, I did not understand that."),
    "survey.chat.rating": _l("Reply with a number from 1 (very unhappy) to 5 (very happy)."),
    "survey.chat.number": _l("Reply with a number, for example 5000, 一万左右 or 5000-8000."),
    "survey.chat.number_unit": _l("Reply with a number in %(unit)s, for example 5000, 一万左右 or 5000-8000."),
    "survey.chat.not_number": _l("Sorry, I could not read a number. Please reply like 5000, 两千 or 一万左右."),
    "survey.chat.number_range": _l("Please reply with a number from %(min)s to %(max)s%(unit)s."),
    "survey.chat.number_min": _l("Please reply with a number of at least %(min)s%(unit)s."),
    "survey.chat.number_max": _l("Please reply with a number of at most %(max)s%(unit)s."),
    "survey.chat.text": _l("Reply in your own words (text or voice), or 0 to skip."),
    "survey.chat.text_required": _l("Reply in your own words (text or voice)."),
    "survey.chat.text_needed": _l("This question needs an answer. Please reply in your own words."),
    "survey.chat.may_skip": _l("You may skip this question: reply 0."),
    "survey.chat.may_skip_word": _l("You may skip this question: reply 跳过."),
    "survey.chat.cannot_catalogue": _l("Question %(number)s (「%(title)s」) asks you to choose from the whole "
                                       "renovation list, which is too long for chat."),
    "survey.chat.cannot_photo": _l("Question %(number)s (「%(title)s」) asks for photos, which chat cannot "
                                   "attach to a survey."),
    "survey.result.borda": _l("Borda points: higher is more wanted"),
    "survey.result.mean_median": _l("mean %(mean)s, median %(median)s"),
}


def say(key, **params):
    """A survey message key in the current language."""
    template = MESSAGES.get(key)
    if template is None:
        from core.i18n import translate
        return translate(key, **params)
    return str(template) % params if params else str(template)


def miniprogram_line(survey_id, appid=None):
    """Where to answer instead: a link into the mini-program's survey page when its appid is known."""
    if appid:
        link = (f'<a data-miniprogram-appid="{appid}" data-miniprogram-path="pages/survey/survey?id={survey_id}">'
                f'{_l("Open the survey")}</a>')
        return str(_l("Please answer it in the Gongjian mini-program: %(link)s", link=link))
    return str(_l("Please answer it in the Gongjian mini-program (问卷 page). Thank you!"))


def condition_words(definition):
    """Each question's show_if in words: {question id: text}."""
    from surveys import editing, engine
    words = {}
    for question in engine.questions(definition):
        joiner, parts = editing.condition_parts(definition, question.get("show_if"))
        if not parts:
            continue
        phrases = [_("“%(question)s” %(op)s “%(value)s”", question=title, op=CONDITION_OPS.get(op, op),
                     value=value) if value else _("“%(question)s” %(op)s", question=title,
                                                 op=CONDITION_OPS.get(op, op))
                   for title, op, value in parts]
        words[question["id"]] = (_(" or ") if joiner == "any" else _(" and ")).join(phrases)
    return words
