"""`flask wechat simulator` and `flask wechat chat`: WeChat on your own machine."""
import struct
import sys
import zlib

import click
import requests
from flask import current_app
from flask.cli import AppGroup

from simulator import sender

cli = AppGroup("wechat", help="The local WeChat simulator and chat console.")


@cli.command("simulator")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5100, type=int)
def simulator_command(host, port):
    """Serve the WeChat API simulator on loopback (what WECHAT_API_BASE points at locally)."""
    from simulator.server import SimulatorServer
    config = current_app.config
    server = SimulatorServer(config["WECHAT_APPID"], config["WECHAT_SECRET"], host, port)
    click.echo(f"WeChat API simulator on {server.url} (calls: {server.url}/sim/calls)")
    server.server.serve_forever()


HELP = """Type a message and press Enter. Commands:
  /voice TEXT        a voice message whose speech recognition says TEXT
  /image [FILE]      a photo (a JPEG or PNG file, or a small sample), kept by the simulator as WeChat keeps it
  /location LAT LNG  a location
  /scan SCENE        scan a parametric QR code (e.g. /scan unit:3)
  /follow            follow the account
  /click KEY         a menu button (WISH, MY_WISHES, PROGRESS, VOTE, SURVEY, NOTICES, BIND, HELP)
  /quit"""


@cli.command("chat")
@click.option("--openid", required=True, help="Who you are on WeChat.")
@click.option("--url", default="http://127.0.0.1:5000/wechat", help="The bot endpoint.")
@click.option("--aes", is_flag=True, help="Safe mode: encrypt with WECHAT_AES_KEY.")
def chat_command(openid, url, aes):
    """Talk to the bot as WeChat would deliver your messages (signed; encrypted with --aes)."""
    config = current_app.config
    if aes and not config.get("WECHAT_AES_KEY"):
        raise click.UsageError("--aes needs WECHAT_AES_KEY")
    envelope = sender.Envelope(config["WECHAT_TOKEN"], config["WECHAT_APPID"],
                               config["WECHAT_AES_KEY"] if aes else None)
    click.echo(HELP)
    for line in sys.stdin if not sys.stdin.isatty() else iter(lambda: input("> "), None):
        line = line.strip()
        if not line:
            continue
        if line == "/quit":
            break
        media_id = sent_media(config["WECHAT_API_BASE"], line) if line.startswith("/image") else None
        xml = to_xml(openid, line, media_id)
        params, body = envelope.wrap(xml)
        response = requests.post(url, params=params, data=body, timeout=10,
                                 headers={"Content-Type": "text/xml"})
        if response.status_code != 200:
            click.echo(f"[HTTP {response.status_code}] {response.text[:200]}")
            continue
        reply = envelope.open_reply(params, response.content)
        click.echo(reply if reply else "(no reply)")


def _sample_png(size=16, colour=(46, 125, 50)):
    """A small green square as a PNG: what /image sends when no file is named."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + bytes(colour) * size for _row in range(size))  # filter 0, RGB pixels
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


SAMPLE_PHOTO = _sample_png()


def sent_media(api_base, line):
    """Give the simulator the photo of an /image line (a file, or the sample) as WeChat keeps what a user sends;
    its media id, or None when the simulator cannot be reached (the bot then gets an id WeChat does not know)."""
    path = line.partition(" ")[2].strip()
    try:
        data = open(path, "rb").read() if path else SAMPLE_PHOTO
    except OSError as exc:
        click.echo(f"[cannot read {path}: {exc.strerror}]")
        return None
    try:
        response = requests.post(f"{api_base.rstrip('/')}/sim/media", data=data, timeout=5,
                                 headers={"Content-Type": "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"})
        response.raise_for_status()
        return response.json()["media_id"]
    except (requests.RequestException, ValueError, KeyError):
        click.echo("[the WeChat simulator did not take the photo]")
        return None


def to_xml(openid, line, media_id=None):
    """A console line as the XML WeChat would send (`media_id`: the photo of an /image line)."""
    command, _, rest = line.partition(" ")
    if command == "/voice":
        return sender.voice_xml(openid, rest)
    if command == "/image":
        return sender.image_xml(openid, media_id=media_id)
    if command == "/location":
        lat, lng = (rest.split() + ["0", "0"])[:2]
        return sender.location_xml(openid, lat, lng)
    if command == "/scan":
        return sender.event_xml(openid, "SCAN", rest)
    if command == "/follow":
        return sender.event_xml(openid, "subscribe", "")
    if command == "/click":
        return sender.event_xml(openid, "CLICK", rest)
    return sender.text_xml(openid, line)
