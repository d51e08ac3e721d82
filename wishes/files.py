"""Who may see a wish's photos: the resident who filed it, and staff of its region; photos sent for it in chat."""
from flask_babel import lazy_gettext as _l

from core.chat_photos import chat_photo_kind
from core.extensions import db
from core.models import Compound
from core.uploads import owner_kind, staff_may_read
from wishes.models import Wish


@owner_kind("wish")
def may_see_wish(wish_id, staff=None, account=None):
    """The filer's own WeChat account, or staff who may read wishes where the compound lies."""
    wish = db.session.get(Wish, wish_id)
    if wish is None:
        return False
    if account is not None:
        return wish.account_id == account.id
    return staff is not None and staff_may_read(staff, "wishes.read",
                                                db.session.get(Compound, wish.compound_id).community)


chat_photo_kind("wish", Wish, reference=lambda wish: wish.reference,
                region_id=lambda wish: db.session.get(Compound, wish.compound_id).community_id,
                next_step=_l("To add a photo, open 我的诉求 (my wishes) in the mini-program."))
