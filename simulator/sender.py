"""Builds official-account requests exactly as WeChat sends them: signed, and encrypted in safe mode."""
import hashlib
import itertools
import secrets
import time
from xml.sax.saxutils import escape

import xmltodict
from wechatpy.crypto import WeChatCrypto

_ids = itertools.count(int(time.time() * 1000))
ACCOUNT = "gh_gongjian000001"


def sign(*parts):
    """sha1 of the sorted concatenation, as WeChat signs."""
    return hashlib.sha1("".join(sorted(str(p) for p in parts)).encode()).hexdigest()


def text_xml(openid, content, msg_id=None, created=None):
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{created or int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id or next(_ids)}</MsgId></xml>")


def voice_xml(openid, recognition, msg_id=None):
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[voice]]></MsgType>"
            f"<MediaId><![CDATA[media{secrets.token_hex(4)}]]></MediaId><Format><![CDATA[amr]]></Format>"
            f"<Recognition><![CDATA[{recognition}]]></Recognition><MsgId>{msg_id or next(_ids)}</MsgId></xml>")


def image_xml(openid, msg_id=None, media_id=None):
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[image]]></MsgType>"
            f"<PicUrl><![CDATA[http://mmbiz.qpic.cn/sim.jpg]]></PicUrl><MediaId><![CDATA[{media_id or 'img' + secrets.token_hex(4)}]]>"
            f"</MediaId><MsgId>{msg_id or next(_ids)}</MsgId></xml>")


def location_xml(openid, lat, lng, msg_id=None):
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[location]]></MsgType>"
            f"<Location_X>{lat}</Location_X><Location_Y>{lng}</Location_Y><Scale>15</Scale>"
            f"<Label><![CDATA[]]></Label><MsgId>{msg_id or next(_ids)}</MsgId></xml>")


def event_xml(openid, event, key=None, extra="", created=None):
    key_xml = f"<EventKey><![CDATA[{escape(key)}]]></EventKey>" if key is not None else ""
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{created or int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[{event}]]></Event>{key_xml}{extra}</xml>")


class Envelope:
    """Query parameters and body of one request to the bot endpoint."""

    def __init__(self, token, appid, aes_key=None, compatible=False):
        self.token, self.appid, self.aes_key, self.compatible = token, appid, aes_key, compatible

    def wrap(self, xml, timestamp=None, nonce=None):
        timestamp = str(timestamp or int(time.time()))
        nonce = nonce or secrets.token_hex(8)
        params = {"signature": sign(self.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
                  "openid": xmltodict.parse(xml)["xml"].get("FromUserName", "")}
        if not self.aes_key:
            return params, xml.encode()
        crypto = WeChatCrypto(self.token, self.aes_key, self.appid)
        sealed = xmltodict.parse(crypto.encrypt_message(xml, nonce, timestamp))["xml"]
        params.update(encrypt_type="aes", msg_signature=sealed["MsgSignature"])
        inner = xml[len("<xml>"):-len("</xml>")] if self.compatible else ""
        if not self.compatible:
            inner = f"<ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        body = f"<xml>{inner}<Encrypt><![CDATA[{sealed['Encrypt']}]]></Encrypt></xml>"
        return params, body.encode()

    def open_reply(self, params, body):
        """The reply's text content (decrypting in safe mode), or None for 'success'/empty."""
        text = body.decode() if isinstance(body, bytes) else body
        if not text or text == "success":
            return None
        if params.get("encrypt_type") == "aes":
            outer = xmltodict.parse(text)["xml"]
            text = WeChatCrypto(self.token, self.aes_key, self.appid).decrypt_message(
                text, outer["MsgSignature"], outer["TimeStamp"], outer["Nonce"])
        return xmltodict.parse(text)["xml"].get("Content")
