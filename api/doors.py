"""What each domain's API module opens with: its blueprint for staff, its blueprint for residents, and the
staff member signed in to this request."""
from flask import session
from flask_smorest import Blueprint

from core.auth import current_staff


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
