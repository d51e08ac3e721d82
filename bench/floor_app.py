"""The floor of the mini-program and vote-day benchmarks: a bare Flask app on the same database doing the
minimal equivalent of each request (find the session by its token's hash; a cast or an answer writes one
row and commits; a staff page finds the session; the bot verifies, parses and echoes with wechatpy)."""
import hashlib
import os

from flask import Flask, jsonify, request
from sqlalchemy import create_engine, text

from core.config import sqlalchemy_url

app = Flask(__name__)
engine = create_engine(sqlalchemy_url(os.environ["DATABASE_URL"]), pool_size=10, max_overflow=10)

SCHEMA = ("CREATE TABLE IF NOT EXISTS bench_floor_ballots (vote_id integer NOT NULL, dwelling_id integer NOT NULL, "
          "choice varchar(16) NOT NULL, PRIMARY KEY (vote_id, dwelling_id))")


def _account(conn):
    token = (request.headers.get("Authorization") or "")[7:]
    return conn.execute(text(
        "SELECT a.id, a.dwelling_id FROM resident_sessions s JOIN wechat_accounts a ON a.id = s.account_id "
        "WHERE s.token_hash = :h"), {"h": hashlib.sha256(token.encode()).hexdigest()}).first()


@app.put("/api/v1/votes/<int:vote_id>/ballot")
def cast(vote_id):
    choice = request.get_json()["choice"]
    with engine.begin() as conn:
        account = _account(conn)
        if account is None:
            return jsonify(error="unauthorised"), 401
        conn.execute(text("INSERT INTO bench_floor_ballots VALUES (:v, :d, :c) ON CONFLICT (vote_id, dwelling_id) "
                          "DO UPDATE SET choice = excluded.choice"), {"v": vote_id, "d": account[1], "c": choice})
    return jsonify(dwelling_id=account[1], choice=choice)


@app.put("/api/v1/surveys/<int:survey_id>/response")
def answer(survey_id):
    request.get_json()
    with engine.begin() as conn:
        account = _account(conn)
        if account is None:
            return jsonify(error="unauthorised"), 401
        conn.execute(text("INSERT INTO bench_floor_ballots VALUES (:v, :d, 'answer') ON CONFLICT (vote_id, "
                          "dwelling_id) DO UPDATE SET choice = excluded.choice"), {"v": -survey_id, "d": account[0]})
    return jsonify(submitted=True)


@app.post("/wechat")
def wechat():
    from wechatpy import create_reply, parse_message
    from wechatpy.exceptions import InvalidSignatureException
    from wechatpy.utils import check_signature
    try:
        check_signature(os.environ.get("WECHAT_TOKEN", "gongjian-dev-token"), request.args.get("signature", ""),
                        request.args.get("timestamp", ""), request.args.get("nonce", ""))
    except InvalidSignatureException:
        return "forbidden", 403
    message = parse_message(request.get_data())
    return create_reply(getattr(message, "content", "") or "success", message).render(), 200, \
        {"Content-Type": "application/xml"}


@app.get("/admin/<path:_path>")
def staff_page(_path):
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return "<html><body>ok</body></html>"


@app.get("/api/v1/<path:_path>")
def read(_path):
    with engine.connect() as conn:
        account = _account(conn)
    return jsonify(account=account and account[0])


@app.get("/healthz")
def health():
    return "ok"


def create_schema():
    with engine.begin() as conn:
        conn.execute(text(SCHEMA))
