"""Uploaded files (photos, plan documents), for signed-in staff and residents only."""
from flask import Blueprint, request, send_file, session

from core.accounts import resident_from_token
from core.auth import current_staff
from core.errors import NotFound
from core.uploads import stored_path

blp = Blueprint("files", __name__)


@blp.get("/api/v1/files/<name>")
def download(name):
    """A stored upload by its content-hash name."""
    if current_staff(session, required=False) is None:
        resident_from_token(request.headers.get("Authorization"))
    path = stored_path(name)
    if path is None:
        raise NotFound()
    return send_file(path, max_age=3600)
