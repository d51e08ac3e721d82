"""A staff member's own alerts: the inbox, and linking WeChat so that alerts are pushed there."""
from flask import flash, g, redirect, request, url_for
from flask_babel import gettext as _

from admin.common import bp, page
from core import staff as staff_service
from core.errors import DomainError
from core.extensions import db
from core.i18n import translate
from notices import staff as staff_notices


@bp.route("/me/wechat", methods=["GET", "POST"])
def staff_wechat():
    """Link my WeChat account with a one-time code (sent to the official account), or unlink it."""
    code = None
    if request.method == "POST":
        action = request.args.get("action")
        if action == "code":
            code = staff_service.issue_link_code(g.staff)
            db.session.commit()
        elif action == "unlink":
            try:
                staff_service.unlink_wechat(g.staff)
            except DomainError as fault:
                flash(translate(fault.key, **fault.params))
                return redirect(url_for("admin.staff_wechat"))
            db.session.commit()
            flash(_("WeChat is unlinked. Your alerts stay in your inbox here."))
            return redirect(url_for("admin.staff_wechat"))
        else:
            return redirect(url_for("admin.staff_wechat"))
    return page("admin/staff_wechat.html", code=code, link=staff_service.wechat_link_of(g.staff),
                minutes=staff_service.LINK_CODE_LIFETIME_MINUTES)


@bp.route("/inbox", methods=["GET", "POST"])
def staff_inbox():
    """My alerts, newest first; mark them read."""
    if request.method == "POST":
        staff_notices.mark_read(g.staff, request.args.get("id", type=int))
        db.session.commit()
        return redirect(url_for("admin.staff_inbox"))
    return page("admin/staff_inbox.html", entries=staff_notices.inbox_of(g.staff),
                link=staff_service.wechat_link_of(g.staff))
