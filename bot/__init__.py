"""The official-account door: an adapter from WeChat messages to domain calls."""
from bot import flows  # noqa: F401 - registers the conversation flows
from bot import publicity  # noqa: F401 - 公示: countdown and objections in chat
from bot import contributions  # noqa: F401 - 认捐: a home's pledges, withdrawn in chat
from bot.views import bp


def init_app(app):
    """Mount /wechat (exempt from CSRF: WeChat signs its requests instead)."""
    from bot.replay import forget_replies_to
    from core.extensions import csrf
    from privacy.deletion import forget_elsewhere
    from wishes import matching
    csrf.exempt(bp)
    app.register_blueprint(bp)
    matching.initialise()
    forget_elsewhere(forget_replies_to)  # a resident's deletion takes the chat's replies to them from Redis
