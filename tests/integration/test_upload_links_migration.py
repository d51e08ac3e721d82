"""Files uploaded before uploads had owners keep being served: the migration links them to their rows."""
import json

from flask_migrate import upgrade
from sqlalchemy import text

from core import MIGRATIONS, create_app
from core.extensions import db
from tests.conftest import make_config

PHOTO = "a" * 64 + ".png"
DOCUMENT = "b" * 64 + ".pdf"


def test_existing_wish_photos_and_vote_documents_are_linked_to_their_rows(tmp_path):
    app = create_app(make_config(f"sqlite:///{tmp_path / 'old.sqlite3'}"))
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="0010")
        with db.engine.begin() as conn:
            conn.execute(text("PRAGMA foreign_keys = OFF"))
            conn.execute(text(
                "INSERT INTO wishes (id, account_id, dwelling_id, compound_id, suggested_codes, text, photos, "
                "channel, status, created_at) VALUES (7, 1, 1, 1, '[]', 'x', :photos, 'miniprogram', 'submitted', "
                "'2026-01-01 00:00:00')"), {"photos": json.dumps([PHOTO, "wx-media:abc", "../etc/passwd"])})
            conn.execute(text(
                "INSERT INTO votes (id, compound_id, region_id, scope_kind, scope_id, matter, title, text, documents, "
                "state, remind_days_before, publicity_days, publish_details, event_count, created_at) VALUES "
                "(3, 1, 1, 'compound', 1, 'rebuild', 't', '', :documents, 'open', 2, 7, 0, 0, '2026-01-01 00:00:00')"),
                {"documents": json.dumps([{"file": DOCUMENT, "title": "方案"}])})
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as conn:
            links = conn.execute(text("SELECT name, kind, target_id FROM file_links ORDER BY name")).all()
        db.engine.dispose()
    assert [tuple(link) for link in links] == [(PHOTO, "wish", 7), (DOCUMENT, "vote_document", 3)]
