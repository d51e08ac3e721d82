"""The admin web panel: server-rendered pages for committees, officials and administrators."""
from admin.common import bp
from admin import (views, votes, registry, wishes, surveys, projects, notices, officials, system, simulator,  # noqa: F401
                   onboarding, works)  # (routes)
from admin import alerts, consent, lifts  # noqa: F401  (routes: the gate, publicity, the contribution ledger, lifts)
from admin.public import public


def init_app(app):
    """Mount the panel and the public result pages."""
    app.register_blueprint(bp)
    app.register_blueprint(public)
