"""Uploaded files (photos, plan documents), each served only to those who may see what it belongs to."""
from flask import request, send_file, session
from api.doors import Blueprint

from core.accounts import resident_from_token
from core.auth import current_staff
from core.errors import NotFound
from core.uploads import may_see_upload, stored_path

blp = Blueprint("files", __name__, url_prefix="/api/v1",
                description="Stored uploads, for those who may see what each belongs to (staff or resident).")

IMAGE_TYPES = {"jpg": "image/jpeg", "png": "image/png"}
# A file is never a page: no script, no plugin, no frame runs from it, whatever a browser makes of it.
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'"


@blp.route("/files/<name>")
@blp.response(200, description="The stored bytes (image/jpeg, image/png or application/pdf).",
              content_type="application/octet-stream")
def download(name):
    """A stored upload by its content-hash name, for those who may see the wish, report, milestone or vote."""
    staff = current_staff(session, required=False)
    if staff is not None and staff.must_change_password:
        staff = None
    account = None
    if staff is None:
        account = resident_from_token(request.headers.get("Authorization"))
    path = stored_path(name)
    if path is None or not may_see_upload(name, staff=staff, account=account):
        raise NotFound()  # not "forbidden": whether a file exists is not told to those who may not see it
    extension = name.rpartition(".")[2]
    if extension in IMAGE_TYPES:
        response = send_file(path, mimetype=IMAGE_TYPES[extension], max_age=3600)
    else:  # documents are downloaded, never shown inside our origin
        response = send_file(path, mimetype="application/pdf", as_attachment=True, download_name=name,
                             max_age=3600)
    response.cache_control.public = False
    response.cache_control.private = True
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
