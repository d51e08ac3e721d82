"""Notice pages: compose for a compound, building or unit, now or later; the delivery report."""
from flask import g, request, url_for
from flask_babel import gettext as _

from admin.common import bp, from_local, local_time, page, run_confirmed
from admin.forms import NoticeForm, options
from core.scopes import count_accounts_in, describe_scope, scope_choices, split_scope
from notices import services as notices


@bp.route("/notices", methods=["GET", "POST"])
def notices_list():
    """Notices sent in my region, and a form to write one."""
    form = NoticeForm()
    form.scope.choices = options(scope_choices(g.staff))
    if request.method == "POST":
        def run():
            kind, ident = split_scope(form.scope.data)
            notice, _count = notices.compose_notice(g.staff, kind, ident, form.title.data, form.body.data,
                                                    from_local(form.scheduled_at.data), urgent=bool(form.urgent.data))
            return notice

        def consequences():
            kind, ident = split_scope(form.scope.data)
            reach = count_accounts_in(kind, ident) if kind else 0
            when = from_local(form.scheduled_at.data)
            lines = [_("%(n)s residents bound in WeChat in %(scope)s will be told.", n=reach,
                       scope=describe_scope(kind, ident) if kind else "")]
            if form.urgent.data:
                lines.append(_("It goes out before general notices already waiting."))
            if when is not None:
                lines.append(_("It is sent at %(when)s (Beijing time), or at once if that time has passed.",
                               when=local_time(when)))
            return lines

        done = run_confirmed(form, run, lambda notice: _("The notice is queued for %(n)s residents.",
                                                         n=count_accounts_in(notice.scope_kind, notice.scope_id)),
                             lambda notice: url_for("admin.notice", notice_id=notice.id),
                             _("Send the notice “%(title)s”?", title=form.title.data or ""), consequences,
                             _("Yes, send the notice"))
        if done is not None:  # the confirmation page, or the notice's page once sent
            return done
    return page("admin/notices.html", form=form, notices=notices.list_notices(g.staff), describe=describe_scope)


@bp.get("/notices/<int:notice_id>")
def notice(notice_id):
    """Where one notice stands: delivered, pending and failed, by channel, with the reasons."""
    from flask_babel import get_locale
    from notices.texts import plan_sentence
    report = notices.delivery_report(g.staff, notice_id)
    item = notices.get_notice(g.staff, notice_id)
    return page("admin/notice.html", report=report, notice=item, scope_name=describe_scope(item.scope_kind,
                                                                                          item.scope_id),
                plan_text=plan_sentence(report["plan"], str(get_locale())))
