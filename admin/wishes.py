"""The wishes inbox: classify, merge duplicates, answer (the answer reaches the resident on WeChat)."""
from typing import NamedTuple

from flask import g, request, url_for
from flask_babel import gettext as _, get_locale
from markupsafe import Markup, escape

from admin.common import bp, page, run_form
from admin import labels
from admin.forms import AnswerForm, ClassifyForm, MergeForm, options
from admin.labels import namer
from core.scopes import compound_choices
from core import catalogue
from core.chat_photos import notes_for
from stories.services import prefetch as prefetch_stories, story_lines
from wishes import services as wishes
from wishes.models import WishStatus


def catalogue_choices(staff):
    """(code, 'B02 Water supply') of the catalogue items for the staff member's region."""
    english = str(get_locale()).startswith("en")
    return [(code, f"{code} {name_en if english else name_zh}")
            for code, name_zh, name_en in catalogue.item_names_for_region(staff.region)]


PAGE = 30
WISH_SLOT = "0WISH0"  # stands for a wish's id in an action's address built once for the page


def option_elements(choices):
    """`options(selected)`: the <option> elements of (value, text) `choices` with `selected` marked. The inbox
    repeats the whole catalogue for every wish on the page, and lists a province's 2,000 compounds: each element
    is rendered once a request, each choice's list once."""
    cells = [(code, f'<option value="{escape(code)}" ', f'>{escape(text)}</option>') for code, text in choices]
    rendered = {}

    def options(selected):
        found = rendered.get(selected)
        if found is None:
            found = rendered[selected] = Markup("".join(
                head + ("selected" if code == selected else "") + tail for code, head, tail in cells))
        return found
    return options


def wish_actions(filters):
    """`address(action, wish id)`: where a wish's classify, merge or answer form posts, with the page's filters
    (url_for once per action, not three times per wish)."""
    built = {action: url_for("admin.wishes_inbox", action=action, wish=WISH_SLOT, **filters)
             for action in ("classify", "merge", "answer")}
    return lambda action, wish_id: built[action] if wish_id == WISH_SLOT else built[action].replace(
        f"wish={WISH_SLOT}", f"wish={int(wish_id)}", 1)


FORMS = {"classify": ClassifyForm, "merge": MergeForm, "answer": AnswerForm}


def slot_filler(blank, csrf):
    """`fill(wish id, options)`: a wish's forms from `blank`, the forms rendered once for the page with
    WISH_SLOT for the wish's id, OPTIONS_SLOT for its catalogue options and CSRF_SLOT for the page's one CSRF
    token (30 wishes, three forms each: the markup is the same but for the id and the selected item). The token
    goes in before the ids and the options after them, so neither can be mistaken for a slot."""
    head, _slot, tail = str(blank).partition(OPTIONS_SLOT)
    token = str(escape(csrf))
    head = [part.replace(CSRF_SLOT, token) for part in head.split(WISH_SLOT)]
    tail = [part.replace(CSRF_SLOT, token) for part in tail.split(WISH_SLOT)]

    def fill(wish_id, options):
        ident = str(int(wish_id))
        return Markup(ident.join(head) + str(options) + ident.join(tail))
    return fill


OPTIONS_SLOT, CSRF_SLOT = "<!--0OPTIONS0-->", "<!--0CSRF0-->"  # markup no escaped text can contain


class Card(NamedTuple):
    """What the inbox shows of one wish, worded for the reader."""

    id: int
    reference: str
    place: str
    address: str
    state: str
    text: str
    photos: list
    notes: list
    at: str
    item: str
    suggested: str
    duplicate: str
    answer: str
    story: str
    selected: str  # the catalogue item its classify form offers first
    open: bool  # not merged: it can still be handled


def wish_cards(rows, names, stories, notes):
    """The inbox's cards of (wish, compound name, address) rows, everything a card says worded here once:
    `names` {code: 'B02 Water supply'}, `stories` {wish id: its story line}, `notes` {wish id: chat photo notes}."""
    from admin.common import listing, local_time
    state, unclassified = namer(labels.WISH_STATES), _("not classified")
    return [Card(w.id, w.reference, place, address, state(w.status), w.text, w.photos or [], notes.get(w.id),
                 local_time(w.created_at), names.get(w.catalogue_code, unclassified),
                 listing([names.get(code, code) for code in w.suggested_codes]) if w.suggested_codes else "",
                 _("Duplicate of W%(n)06d", n=w.merged_into_id) if w.merged_into_id else "", w.answer,
                 stories.get(w.id, ""),
                 w.catalogue_code or (w.suggested_codes[0] if w.suggested_codes else ""), w.status != "merged")
            for w, place, address in rows]


@bp.route("/wishes", methods=["GET", "POST"])
def wishes_inbox():
    """Residents' wishes in my region, newest first, with a form per action."""
    english = str(get_locale()).startswith("en")
    item_names = {code: name_en if english else name_zh
                  for code, name_zh, name_en in catalogue.item_names_for_region(g.staff.region)}
    items = [(code, f"{code} {name}") for code, name in item_names.items()]
    failed = None
    if request.method == "POST":
        action, wish_id = request.args.get("action"), request.args.get("wish", type=int)
        if action not in FORMS or wish_id is None:
            from core.errors import NotFound
            raise NotFound()
        form = FORMS[action]()
        if action == "classify":
            form.catalogue_code.choices = options(items)
        calls = {"classify": lambda: wishes.classify_wish(g.staff, wish_id, form.catalogue_code.data),
                 "merge": lambda: wishes.merge_wish(g.staff, wish_id, form.into.data),
                 "answer": lambda: wishes.answer_wish(g.staff, wish_id, form.text.data)}
        messages = {"classify": _("Classified."), "merge": _("Merged."),
                    "answer": _("Answered. The resident will get the answer in WeChat.")}
        done = run_form(form, calls[action], messages[action],
                        url_for("admin.wishes_inbox", **_filters()) + f"#wish-{wish_id}")
        if done is not None:
            return done
        failed = (action, wish_id, form)
    compound_id = request.args.get("compound", type=int)
    status = request.args.get("status") if request.args.get("status") in WishStatus.ALL else None
    page_no = max(1, request.args.get("page", 1, type=int))
    rows = wishes.inbox_page(g.staff, compound_id=compound_id, status=status, limit=PAGE + 1,
                             offset=(page_no - 1) * PAGE)
    more, rows = len(rows) > PAGE, rows[:PAGE]
    shown = [wish for wish, _place, _address in rows]
    demand = wishes.demand_counts(g.staff, compound_id) if compound_id else {}
    names = dict(items)
    reader = str(get_locale())
    # the page's stories in a few queries, not a few per wish; the catalogue's names are those read above
    shared = prefetch_stories(shown, reader, {}, names=item_names)
    stories = {w.id: " ".join(story_lines(w, reader, shared)) for w in shown}
    photo_notes = notes_for("wish", [w.id for w in shown])
    return page("admin/wishes.html", form=failed[2] if failed else None, failed=failed,
                cards=wish_cards(rows, names, stories, photo_notes), items=items,
                catalogue_options=option_elements(items), wish_action=wish_actions(_filters()),
                slots=(WISH_SLOT, Markup(OPTIONS_SLOT), Markup(CSRF_SLOT)), slot_filler=slot_filler,
                compound_options=option_elements(compound_choices(g.staff)),
                compound_id=compound_id, status=status, filters=_filters(), page_no=page_no, more=more,
                demand=sorted(((names.get(code, code), n) for code, n in demand.items()), key=lambda r: -r[1]))


def _filters():
    return {k: v for k, v in request.args.items() if k in ("compound", "status") and v}
