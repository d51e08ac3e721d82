"""Staff sign-in for the JSON API: the same session cookie and CSRF token as the admin pages."""
from flask import request, session
from flask.views import MethodView
from api.doors import Blueprint
from flask_wtf.csrf import generate_csrf

from api.schemas import LoginSchema, PasswordChangeSchema, SessionSchema
from core import audit
from core import staff as staff_service
from core.auth import authenticate, current_staff, sign_in, sign_out
from core.errors import Unauthorised
from core.extensions import db

blp = Blueprint("staff_session", __name__, url_prefix="/api/v1/admin/session",
                description="Staff sign-in (session cookie + X-CSRFToken header).")


@blp.route("")
class StaffSession(MethodView):
    @blp.response(200, SessionSchema)
    def get(self):
        """The CSRF token for the next write, and who is signed in (if anyone)."""
        return {"csrf_token": generate_csrf(), "staff": current_staff(session, required=False)}

    @blp.arguments(LoginSchema)
    @blp.response(200, SessionSchema)
    def post(self, credentials):
        """Sign in with user name and password."""
        staff = authenticate(credentials["username"], credentials["password"], request.remote_addr)
        sign_in(session, staff)
        audit.record(staff, "staff.login", "staff", staff.id, staff.region_id)
        db.session.commit()
        return {"csrf_token": generate_csrf(), "staff": staff}

    @blp.response(204)
    def delete(self):
        """Sign out: the session ends on the server, so a copy of the cookie is worth nothing."""
        staff = current_staff(session, required=False)
        if staff is not None:
            audit.record(staff, "staff.logout", "staff", staff.id, staff.region_id)
        sign_out(session)
        db.session.commit()


@blp.route("/password")
class StaffPassword(MethodView):
    @blp.arguments(PasswordChangeSchema)
    @blp.response(200, SessionSchema)
    def post(self, body):
        """Change my own password: every session of mine ends, and this client goes on in a new one."""
        staff = current_staff(session, required=False)
        if staff is None:
            raise Unauthorised()
        staff_service.change_password(staff, body["current_password"], body["new_password"])
        sign_in(session, staff)
        db.session.commit()
        return {"csrf_token": generate_csrf(), "staff": staff}
