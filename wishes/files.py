"""Who may see a wish's photos: the resident who filed it, and staff of its region."""
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
