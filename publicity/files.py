"""Who may see the photos of an objection: the resident who lodged it, or staff of the period's region; photos
sent for an objection in chat."""
from flask_babel import lazy_gettext as _l

from core.chat_photos import chat_photo_kind
from core.extensions import db
from core.models import Region
from core.uploads import owner_kind, staff_may_read
from publicity.models import Objection


@owner_kind("objection")
def may_see_objection(objection_id, staff=None, account=None):
    """The resident who objected, or staff who may read publicity in the period's region."""
    objection = db.session.get(Objection, objection_id)
    if objection is None:
        return False
    if account is not None:
        return objection.account_id == account.id
    return staff is not None and staff_may_read(staff, "publicity.read",
                                                db.session.get(Region, objection.publicity.region_id))


chat_photo_kind("objection", Objection, reference=lambda objection: f"O{objection.id:06d}",
                region_id=lambda objection: objection.publicity.region_id,
                next_step=_l("To add a photo, open the publicity in the mini-program and add it to your objection."))
