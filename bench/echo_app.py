"""The baseline for bench/bot_throughput.py: a bare wechatpy echo handler (verify, parse, reply)."""
import os

from wechatpy import create_reply, parse_message
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import check_signature

TOKEN = os.environ.get("WECHAT_TOKEN", "gongjian-dev-token")


def app(environ, start_response):
    """Verify the signature, parse the message, reply with its own text."""
    from urllib.parse import parse_qs
    args = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    try:
        check_signature(TOKEN, args.get("signature", ""), args.get("timestamp", ""), args.get("nonce", ""))
    except InvalidSignatureException:
        start_response("403 Forbidden", [("Content-Type", "text/plain")])
        return [b"forbidden"]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    message = parse_message(environ["wsgi.input"].read(length))
    body = create_reply(getattr(message, "content", "") or "success", message).render().encode()
    start_response("200 OK", [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
    return [body]
