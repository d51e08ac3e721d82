"""Links to a notice's full text: the mini-program's notice page, or a signed page on the web.

The web link carries the delivery id signed with the app's secret, so it opens that resident's notice and
nothing else, without a sign-in (WeChat opens it from the chat)."""
from itsdangerous import BadSignature, URLSafeSerializer

MINI_PAGE = "pages/notice/notice?id={id}"
WEB_PATH = "/public/n/{token}"
SALT = "notice-page"


def _signer(secret):
    return URLSafeSerializer(secret, salt=SALT)


def sign(delivery_id, secret):
    """The token of one delivery's web page."""
    return _signer(secret).dumps(int(delivery_id))


def read(token, secret):
    """The delivery id a token names, or None when it is not one we signed."""
    try:
        value = _signer(secret).loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, int) else None


def link_for(delivery_id, config):
    """{'page': mini-program path, 'appid': mini-program appid or None, 'url': the signed web page}."""
    base = (config.get("PUBLIC_URL") or "").rstrip("/")
    return {"page": MINI_PAGE.format(id=delivery_id), "appid": config.get("WECHAT_MINI_APPID"),
            "url": base + WEB_PATH.format(token=sign(delivery_id, config["SECRET_KEY"]))}
