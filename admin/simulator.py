"""The WeChat simulator page (only when WeChat is the local simulator): what the service sent, and a chat box."""
import requests
from flask import current_app, g, redirect, request, session, url_for
from flask_babel import gettext as _

from admin.common import bp, page, run_form
from admin.forms import ChatForm, options
from core.errors import NotFound
from core.models import WechatAccount
from simulator import sender

SENT = ("/cgi-bin/message/custom/send", "/cgi-bin/message/template/send", "/cgi-bin/message/subscribe/send")
CHAT_KEPT = 6


DEMO_PREFIX = "demo-"


def simulator_enabled(staff):
    """Only in development, with WeChat as the local simulator, for committee staff and administrators:
    never in production, never for officials."""
    from core.auth import Role
    base = current_app.config.get("WECHAT_API_BASE", "")
    return (current_app.config.get("ENV") in ("development", "test") and staff is not None
            and staff.role in (Role.COMMITTEE, Role.ADMIN)
            and base.startswith(("http://127.0.0.1", "http://localhost")))


def simulator_base():
    """The simulator's address, or NotFound where the page does not exist."""
    if not simulator_enabled(g.get("staff")):
        raise NotFound()
    return current_app.config["WECHAT_API_BASE"].rstrip("/")


def _residents(staff):
    """Bound WeChat users in my region to talk as (demo residents first)."""
    from core.auth import compounds_in_scope
    from core.models import Building, Compound, Dwelling, Unit
    ids = compounds_in_scope(staff).with_entities(Compound.id)
    accounts = (WechatAccount.query.join(Dwelling, WechatAccount.dwelling_id == Dwelling.id).join(Unit)
                .join(Building).filter(Building.compound_id.in_(ids),
                                       WechatAccount.openid.startswith(DEMO_PREFIX, autoescape=True))
                .order_by(WechatAccount.openid).limit(50).all())
    return [(a.openid, f"{a.openid} · {a.dwelling.unit.building.compound.name} "
                       f"{a.dwelling.unit.building.name}-{a.dwelling.unit.name}-{a.dwelling.room}") for a in accounts]


@bp.route("/simulator", methods=["GET", "POST"])
def simulator():
    """Every message the service sent through the simulator; talk to the bot as a resident."""
    base = simulator_base()
    form = ChatForm()
    residents = _residents(g.staff)
    form.openid.choices = options(residents)
    if request.method == "POST":
        def talk():
            if form.openid.data not in dict(residents):
                raise NotFound()
            from core import audit
            from core.extensions import db
            # What the page sends is the staff member's act, on the record.
            audit.record(g.staff, "simulator.message", "wechat_account", form.openid.data, g.staff.region_id,
                         after={"text": form.text.data[:200]})
            db.session.commit()
            reply = _send(form.openid.data, form.text.data)
            chat = session.get("sim_chat", [])[-(CHAT_KEPT - 1):]
            chat.append([form.openid.data, form.text.data[:200], (reply or _("(no reply)"))[:300]])
            session["sim_chat"] = chat
        done = run_form(form, talk, _("Sent."), url_for("admin.simulator") + "#chat")
        if done is not None:
            return done
    try:
        calls = requests.get(f"{base}/sim/calls", timeout=5).json()
    except (requests.RequestException, ValueError):
        calls, form.form_errors = [], form.form_errors + [_("The WeChat simulator is not running.")]
    sent = [c for c in calls if c.get("path") in SENT][-100:][::-1]
    return page("admin/simulator.html", form=form, sent=sent, chat=session.get("sim_chat", []))


def _send(openid, text):
    """Hand a signed message to our own /wechat endpoint inside this process, as WeChat would send it, and read
    the passive reply. Nothing of the request (its Host header included) goes into what is signed or where."""
    config = current_app.config
    envelope = sender.Envelope(config["WECHAT_TOKEN"], config["WECHAT_APPID"])
    params, body = envelope.wrap(sender.text_xml(openid, text))
    response = current_app.test_client().post(url_for("bot.receive"), query_string=params, data=body,
                                              headers={"Content-Type": "text/xml"})
    return envelope.open_reply(params, response.data) if response.status_code == 200 else None


@bp.post("/simulator/clear")
def simulator_clear():
    simulator_base()
    session.pop("sim_chat", None)
    return redirect(url_for("admin.simulator"))
