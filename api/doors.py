"""What each domain's API module opens with: its blueprint for staff, its blueprint for residents, and the
staff member signed in to this request."""
import flask_smorest
from flask import session

from core.auth import current_staff


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's blueprint, whose arguments' schemas are made once: given a class, webargs would make an
    instance of it for every request (marshmallow copies every declared field to do so). The schemas keep no
    state between loads, so one instance serves every request and thread."""

    def arguments(self, schema, *args, **kwargs):
        return super().arguments(schema() if isinstance(schema, type) else schema, *args, **kwargs)


def door_blueprints(import_name, name, staff, resident):
    """The blueprints `admin_<name>` and `resident_<name>`; `staff` and `resident` are each
    (url_prefix, description)."""
    staff_prefix, staff_description = staff
    resident_prefix, resident_description = resident
    return (Blueprint(f"admin_{name}", import_name, url_prefix=staff_prefix, description=staff_description),
            Blueprint(f"resident_{name}", import_name, url_prefix=resident_prefix, description=resident_description))


def signed_in_staff():
    """The staff member signed in to this request's session (refused with 401 otherwise)."""
    return current_staff(session)
