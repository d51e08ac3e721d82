"""Photos sent in chat before they were fetched by a worker are named in their rows as 'wx-media:<id>': the
migration makes each a photo to fetch and leaves only stored files in the rows."""
import json

from flask_migrate import upgrade
from sqlalchemy import text

from core import MIGRATIONS, create_app
from core.extensions import db
from tests.conftest import make_config

PHOTO = "a" * 64 + ".png"


def test_chat_photo_references_become_photos_to_fetch(tmp_path):
    app = create_app(make_config(f"sqlite:///{tmp_path / 'old.sqlite3'}"))
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="0023")
        with db.engine.begin() as conn:
            conn.execute(text("PRAGMA foreign_keys = OFF"))
            conn.execute(text(
                "INSERT INTO wishes (id, account_id, dwelling_id, compound_id, suggested_codes, text, photos, "
                "channel, status, story_told, created_at) VALUES (7, 3, 1, 1, '[]', 'x', :photos, 'bot', 'submitted', "
                "'[]', '2026-01-01 00:00:00')"), {"photos": json.dumps([PHOTO, "wx-media:abc", "wx-media:def"])})
            conn.execute(text(
                "INSERT INTO wishes (id, account_id, dwelling_id, compound_id, suggested_codes, text, photos, "
                "channel, status, story_told, created_at) VALUES (8, 3, 1, 1, '[]', 'y', :photos, 'miniprogram', "
                "'submitted', '[]', '2026-01-01 00:00:00')"), {"photos": json.dumps([PHOTO])})
            conn.execute(text(
                "INSERT INTO site_reports (id, compound_id, account_id, kind, text, photos, status, created_at) "
                "VALUES (5, 1, 4, 'report', 'z', :photos, 'new', '2026-01-02 00:00:00')"),
                {"photos": json.dumps(["wx-media:ghi"])})
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as conn:
            queued = conn.execute(text("SELECT kind, target_id, account_id, media_id, state FROM chat_photos "
                                       "ORDER BY id")).all()
            wishes = dict(conn.execute(text("SELECT id, photos FROM wishes ORDER BY id")).all())
            report = conn.execute(text("SELECT photos FROM site_reports")).scalar()
        db.engine.dispose()
    assert sorted(tuple(row) for row in queued) == [
        ("site_report", 5, 4, "ghi", "waiting"), ("wish", 7, 3, "abc", "waiting"), ("wish", 7, 3, "def", "waiting")]
    assert {k: json.loads(v) for k, v in wishes.items()} == {7: [PHOTO], 8: [PHOTO]}
    assert json.loads(report) == []
