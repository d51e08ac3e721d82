"""`flask wechat simulator` and `flask wechat chat`: WeChat on your own machine."""
import sys

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
  /image             a photo
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
        xml = to_xml(openid, line)
        params, body = envelope.wrap(xml)
        response = requests.post(url, params=params, data=body, timeout=10,
                                 headers={"Content-Type": "text/xml"})
        if response.status_code != 200:
            click.echo(f"[HTTP {response.status_code}] {response.text[:200]}")
            continue
        reply = envelope.open_reply(params, response.content)
        click.echo(reply if reply else "(no reply)")


def to_xml(openid, line):
    """A console line as the XML WeChat would send."""
    command, _, rest = line.partition(" ")
    if command == "/voice":
        return sender.voice_xml(openid, rest)
    if command == "/image":
        return sender.image_xml(openid)
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
