"""The mini-program API: sign-in, my home, my wishes. Who calls is always taken from the token."""
from flask import request
from flask.views import MethodView
from api.doors import Blueprint

from api.resident_schemas import (BindingResultSchema, CodeSchema, ConsentSchema, LocaleSchema, MeSchema,
                                  OwnerBindingSchema, PrivacyNoticeSchema, RoomBindingSchema, StairwellSchema,
                                  WishCreateSchema, WishSchema, WxLoginResultSchema, WxLoginSchema,
                                  wishes_with_stories)
from api.schemas import CatalogueItemSchema
from core import accounts, catalogue
from core.uploads import store_uploads
from core.extensions import db
from wishes import services as wishes

blp = Blueprint("resident", __name__, url_prefix="/api/v1", description="For residents, from the mini-program.")


def resident():
    """The signed-in resident's account (401 otherwise); looked up once a request."""
    from flask import g
    header = request.headers.get("Authorization")
    known = g.get("resident_account")
    if known is not None and known[0] == header:
        return known[1]
    account = accounts.resident_from_token(header)
    g.resident_account = (header, account)
    return account


@blp.route("/auth/login")
class Login(MethodView):
    @blp.arguments(WxLoginSchema)
    @blp.response(200, WxLoginResultSchema)
    def post(self, body):
        """Exchange a wx.login code for a session token."""
        from core.ratelimit import limit
        limit("wx-login", request.remote_addr, 60, 60)
        token, session = accounts.login_miniprogram(body["code"])
        db.session.commit()
        return {"token": token, "expires_at": session.expires_at, "bound": session.account.dwelling_id is not None}


@blp.route("/auth/logout")
class Logout(MethodView):
    @blp.response(204)
    def post(self):
        """End this session."""
        resident()
        accounts.revoke_session(request.headers.get("Authorization"))
        db.session.commit()


def _me(account):
    compound, building, unit, room = accounts.place_of(account.dwelling_id) or (None, None, None, None)
    return {"bound": account.dwelling_id is not None, "kind": account.kind, "locale": account.locale,
            "compound": compound, "building": building, "unit": unit, "room": room,
            "phone_bound": account.phone_enc is not None,
            "privacy_consented": account.privacy_consented_at is not None,
            "owner_verified": account.kind == "owner" and account.person_id is not None,
            "dwellings": accounts.owned_homes(account)}


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeSchema)
    def get(self):
        """Who I am here and which home I am linked to."""
        return _me(resident())


@blp.route("/me/data")
class MyData(MethodView):
    @blp.response(200, description="Everything the service holds about me (phone and ID numbers masked).")
    def get(self):
        """What the service holds about me, to read or to save (Content-Disposition: attachment)."""
        import json

        from flask import Response

        from privacy.services import export_for
        body = json.dumps(export_for(resident()), ensure_ascii=False, indent=2)
        return Response(body, mimetype="application/json",
                        headers={"Content-Disposition": "attachment; filename=gongjian-my-data.json"})


@blp.route("/me/locale")
class MyLocale(MethodView):
    @blp.arguments(LocaleSchema)
    @blp.response(200, MeSchema)
    def put(self, body):
        """Choose my language."""
        account = resident()
        accounts.set_locale(account, body["locale"])
        db.session.commit()
        return _me(account)


@blp.route("/me/phone")
class MyPhone(MethodView):
    @blp.arguments(CodeSchema)
    @blp.response(200, MeSchema)
    def post(self, body):
        """Bind the phone number WeChat vouches for (getPhoneNumber code)."""
        account = resident()
        accounts.bind_phone(account, body["code"])
        db.session.commit()
        return _me(account)


@blp.route("/me/binding/code")
class BindByCode(MethodView):
    @blp.arguments(CodeSchema)
    @blp.response(200, MeSchema)
    def post(self, body):
        """Link to my home with the committee's one-time code."""
        from core.ratelimit import limit
        account = resident()
        limit("bind-code", account.id, 10, 3600)
        try:
            accounts.bind_with_code(account, body["code"])
        finally:
            db.session.commit()  # a failed try is counted too
        return _me(account)


@blp.route("/me/binding/room")
class BindByRoom(MethodView):
    @blp.arguments(RoomBindingSchema)
    @blp.response(200, BindingResultSchema)
    def post(self, body):
        """Link to my home from the stairwell QR code: room and the phone's last four digits."""
        try:
            outcome = accounts.bind_by_room(resident(), body["unit_id"], body["room"], body["phone_last4"],
                                            body.get("name"))
        finally:
            db.session.commit()  # a failed try is counted too
        return {"outcome": outcome}


@blp.route("/me/binding/owner")
class BindAsOwner(MethodView):
    @blp.arguments(OwnerBindingSchema)
    @blp.response(200, MeSchema)
    def post(self, body):
        """Verify as an owner with my ID number and property certificate number (a neighbour knows neither)."""
        account = resident()
        try:
            accounts.bind_as_owner(account, body["id_number"], body["certificate_no"])
        finally:
            db.session.commit()  # a failed try is counted too
        return _me(account)


@blp.route("/units/<int:unit_id>")
class Stairwell(MethodView):
    @blp.response(200, StairwellSchema)
    def get(self, unit_id):
        """The compound, building and unit a stairwell QR code (scene 'unit:ID') names, shown before binding."""
        from core.errors import NotFound
        resident()
        unit = accounts.describe_unit(unit_id)
        if unit is None:
            raise NotFound()
        return {"id": unit.id, "compound": unit.building.compound.name, "building": unit.building.name,
                "unit": unit.name}


@blp.route("/privacy")
class Privacy(MethodView):
    @blp.response(200, PrivacyNoticeSchema)
    def get(self):
        """The privacy notice a resident agrees to before anything personal is kept."""
        return accounts.privacy_notice()


@blp.route("/me/privacy-consent")
class PrivacyConsent(MethodView):
    @blp.arguments(ConsentSchema)
    @blp.response(200, MeSchema)
    def post(self, body):
        """I agree to this version of the privacy notice."""
        account = accounts.record_privacy_consent(resident(), body["version"])
        db.session.commit()
        return _me(account)


@blp.route("/me/deletion")
class Deletion(MethodView):
    @blp.response(204)
    def post(self):
        """Delete my data: my link, phone, answers and messages; the words and photos of my wishes, on-site
        reports, objections, views at acceptance and warranty defects (each stays on record without them: an
        objection with its answer, a defect to be repaired), the photo files too; my offer to supervise the works
        and my name, words and photos on the inspections I filed (each stays, its findings to be closed); my words
        on my pledges (they stay my home's, in the totals); the proxies I stood as (they no longer stand) and their
        signed authorisations; my waiting request to link to a home; a staff member's alerts on this WeChat; what
        the chat kept of my messages and its replies for WeChat's retries. Nothing is sent to me afterwards. Vote and election ballots stay counted, as the law requires, without anything that
        names me."""
        from privacy.deletion import delete_my_data
        delete_my_data(resident())
        db.session.commit()


@blp.route("/me/binding")
class Binding(MethodView):
    @blp.response(204)
    def delete(self):
        """Remove the link to my home."""
        accounts.unbind(resident())
        db.session.commit()


@blp.route("/catalogue")
class Catalogue(MethodView):
    @blp.response(200, CatalogueItemSchema(many=True))
    def get(self):
        """What may be asked for in my compound: the catalogue's items in three classes, in my language."""
        from flask_babel import get_locale
        account = resident()
        english = (account.locale or str(get_locale())).startswith("en")
        entries = wishes.catalogue_for(account) if account.dwelling_id else catalogue.items_for_region(None)
        return [dict(code=e.code, cls=e.cls, name_zh=e.name_zh, name_en=e.name_en,
                     name=e.name_en if english else e.name_zh) for e in entries]


@blp.route("/wishes")
class Wishes(MethodView):
    @blp.response(200, WishSchema(many=True))
    def get(self):
        """My wishes, newest first."""
        return wishes_with_stories(wishes.my_wishes(resident()))

    @blp.arguments(WishCreateSchema, location="form")
    @blp.response(201, WishSchema)
    def post(self, body):
        """Tell the committee what should be renovated (multipart: fields and up to three photos)."""
        account = resident()
        photos = store_uploads(request.files)
        wish = wishes.file_wish(account, "miniprogram", text=body["text"], catalogue_code=body["catalogue_code"],
                                photos=photos, latitude=body["latitude"], longitude=body["longitude"])
        db.session.commit()
        return wish


@blp.route("/wishes/<int:wish_id>")
class WishDetail(MethodView):
    @blp.response(200, WishSchema)
    def get(self, wish_id):
        """One of my wishes."""
        return wishes.my_wish(resident(), wish_id)


@blp.route("/wishes/<int:wish_id>/photos")
class WishPhotos(MethodView):
    @blp.response(200, WishSchema)
    def post(self, wish_id):
        """Add a photo to one of my wishes (multipart 'photos'; wx.uploadFile sends one file at a time)."""
        account = resident()
        wish = wishes.add_wish_photos(account, wish_id, store_uploads(request.files))
        db.session.commit()
        return wish
