"""The admin web panel: server-rendered pages for committees and officials."""
from admin.views import bp


def init_app(app):
    """Mount the panel."""
    app.register_blueprint(bp)
