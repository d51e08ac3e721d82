"""Notice pages: compose for a compound, building or unit, now or later; the delivery report."""
from flask import g, redirect, request, url_for
from flask_babel import gettext as _

from admin.common import bp, from_local, page, run_form
from admin.forms import NoticeForm, options
from core.scopes import describe_scope, scope_choices, split_scope
from notices import services as notices


@bp.route("/notices", methods=["GET", "POST"])
def notices_list():
    """Notices sent in my region, and a form to write one."""
    form = NoticeForm()
    form.scope.choices = options(scope_choices(g.staff))
    if request.method == "POST":
        def run():
            kind, ident = split_scope(form.scope.data)
            run.notice, run.count = notices.compose_notice(g.staff, kind, ident, form.title.data, form.body.data,
                                                           from_local(form.scheduled_at.data))
        if run_form(form, run, _("The notice is queued for %(n)s residents.", n=getattr(run, "count", 0)), ""):
            return redirect(url_for("admin.notice", notice_id=run.notice.id))
    return page("admin/notices.html", form=form, notices=notices.list_notices(g.staff), describe=describe_scope)


@bp.get("/notices/<int:notice_id>")
def notice(notice_id):
    """Where one notice stands: delivered, pending and failed, by channel, with the reasons."""
    from notices.models import Notice
    from core.extensions import db
    report = notices.delivery_report(g.staff, notice_id)
    item = db.session.get(Notice, notice_id)
    return page("admin/notice.html", report=report, notice=item, scope_name=describe_scope(item.scope_kind,
                                                                                          item.scope_id))
