"""The REST API: the mini-program's and the admin panel's JSON, documented as OpenAPI."""
from flask_smorest import Api

from api import (admin_registry, admin_wishes, files, health, projects, resident, staff_session, surveys,
                 votes)

def init_app(app):
    """Mount the API blueprints."""
    app.config.setdefault("API_TITLE", "Gongjian API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    rest = Api(app)
    app.register_blueprint(health.blp)
    app.register_blueprint(files.blp)
    from core.extensions import csrf
    csrf.exempt(resident.blp)  # bearer tokens, not cookies: nothing for CSRF to forge
    csrf.exempt(projects.resident_blp)
    csrf.exempt(votes.resident_blp)
    csrf.exempt(surveys.resident_blp)
    for blueprint in (staff_session.blp, admin_registry.blp, admin_wishes.blp, resident.blp, projects.staff_blp,
                      projects.resident_blp, votes.staff_blp, votes.resident_blp, surveys.staff_blp,
                      surveys.resident_blp):
        rest.register_blueprint(blueprint)
