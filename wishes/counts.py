"""Wishes counted as they change: each compound's non-merged wishes per catalogue item, moved in the
transaction that files, classifies or merges a wish. Officials' dashboards and demand read these counts, so a
province's figures cost what its compounds and items cost, not what its 100,000 wishes do."""
from collections import Counter
from contextlib import contextmanager

from sqlalchemy import func, select, text

from core.extensions import db
from wishes.models import Wish, WishCount, WishStatus

UNCLASSIFIED = ""  # the item of a wish no one has classified yet (no catalogue code is empty)

# One count moved (PostgreSQL and SQLite say an upsert alike; as text, compiled once, as surveys.tallies does):
# two wishes filed at once for one compound and item both land, the second waiting on the first's row.
MOVE = text("INSERT INTO wish_counts (compound_id, catalogue_code, wishes) VALUES (:compound_id, :code, :n) "
            "ON CONFLICT (compound_id, catalogue_code) DO UPDATE SET wishes = wish_counts.wishes + excluded.wishes")


def counted_as(wish):
    """The (compound, item) a wish counts for, or None for a merged duplicate (counted in the one it joins)."""
    if wish.status == WishStatus.MERGED:
        return None
    return wish.compound_id, wish.catalogue_code or UNCLASSIFIED


def move(before, after):
    """Move the counts from the wishes as they were (`before`: Counter of counted_as) to as they are now."""
    delta = Counter(after)
    delta.subtract(before)
    rows = [{"compound_id": compound_id, "code": code, "n": n}
            for (compound_id, code), n in sorted((k, n) for k, n in delta.items() if k is not None) if n]
    if rows:
        db.session.execute(MOVE, rows)  # in one order everywhere: two changes never wait on each other in a ring


def add(wish):
    """Count a wish just filed."""
    move(Counter(), Counter([counted_as(wish)]))


@contextmanager
def recounted(*wishes):
    """Move the counts of `wishes` by what the block changes of them (their status, item or compound)."""
    before = Counter(counted_as(w) for w in wishes)
    yield
    move(before, Counter(counted_as(w) for w in wishes))


def fresh_counts(compound_ids=None):
    """{(compound, item): wishes} counted from the wishes themselves (what the kept counts must always say)."""
    query = (select(Wish.compound_id, func.coalesce(Wish.catalogue_code, UNCLASSIFIED), func.count(Wish.id))
             .where(Wish.status != WishStatus.MERGED).group_by(Wish.compound_id, Wish.catalogue_code))
    if compound_ids is not None:
        query = query.where(Wish.compound_id.in_(compound_ids))
    return {(c, code): n for c, code, n in db.session.execute(query)}


def kept_counts(compound_ids=None):
    """{(compound, item): wishes} as kept (rows moved down to nought left out)."""
    query = select(WishCount.compound_id, WishCount.catalogue_code, WishCount.wishes).where(WishCount.wishes != 0)
    if compound_ids is not None:
        query = query.where(WishCount.compound_id.in_(compound_ids))
    return {(c, code): n for c, code, n in db.session.execute(query)}
