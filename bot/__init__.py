"""The official-account door: an adapter from WeChat messages to domain calls."""
from bot import flows  # noqa: F401 - registers the conversation flows
from bot import publicity  # noqa: F401 - 公示: countdown and objections in chat
from bot import contributions  # noqa: F401 - 认捐: a home's pledges, withdrawn in chat
from bot.views import bp


def init_app(app):
    """Mount /wechat (exempt from CSRF: WeChat signs its requests instead)."""
    from core.extensions import csrf
    from wishes import matching
    csrf.exempt(bp)
    app.register_blueprint(bp)
    matching.initialise()
