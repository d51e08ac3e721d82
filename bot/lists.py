"""A numbered list in chat: the resident picks one of their things by its number, or goes back."""
from flask_babel import gettext as _

from bot.dispatcher import Flow

BACK_WORDS = {"0", "取消", "算了", "不要了", "退出", "返回"}


class ListFlow(Flow):
    """A flow that lists the resident's things, numbered; the reply picks one by its number.

    The ids listed are kept under `listed_as` for the step "choose", as conversations already open have them."""

    listed_as = ""
    pick_hint = None  # lazy: how to pick, said under the list and again after a reply that picks nothing

    def list_for(self, turn, ids, lines, header=()):
        """Keep `ids` for the next reply; the header, then `lines` numbered, then how to pick."""
        turn.goto(self, "choose", **{self.listed_as: ids})
        return "\n".join([*header, *(f"{n} {line}" for n, line in enumerate(lines, start=1)), str(self.pick_hint)])

    def on_choose(self, turn):
        answer = turn.text.strip()
        if answer in BACK_WORDS:
            turn.end()
            return _("Back. Reply 帮助 (help) to see what I can do.")
        ids = turn.data.get(self.listed_as, [])
        if not (answer.isdigit() and 1 <= int(answer) <= len(ids)):
            return str(self.pick_hint)
        return self.picked(turn, ids[int(answer) - 1])

    def picked(self, turn, chosen_id):
        """The resident picked the thing with this id."""
        raise NotImplementedError
