"""The local WeChat API simulator: a real HTTP server on loopback that records every call.

It implements the endpoints the service calls (token, stable_token, jscode2session,
getuserphonenumber, customer-service, template and subscribe sends, QR codes) and can inject
WeChat's errors and timeouts. Control endpoints live under /sim/."""
import itertools
import secrets
import threading
import time

from flask import Flask, g, jsonify, request
from werkzeug.serving import WSGIRequestHandler, make_server

TOKEN_LIFETIME = 7200
OVERLAP = 300  # an old token keeps working this long after a new one is issued


class SimulatorState:
    """Everything the simulator knows; one lock guards it."""

    def __init__(self, appid, secret):
        self.lock = threading.Lock()
        self.appid, self.secret = appid, secret
        self.reset()

    def reset(self):
        with self.lock:
            # A request still in flight from before (one held by an injected delay) must not be recorded
            # after the reset: each request remembers the generation it arrived in.
            self.generation = getattr(self, "generation", 0) + 1
            self.tokens = {}
            self.current = None
            self.token_fetches = 0
            self.calls = []
            self.login_codes, self.phone_codes = {}, {}
            self.used_codes = set()
            self.injections = []
            self.ids = itertools.count(1)
            self.media = {}  # media id -> (bytes, content type): what residents sent in chat

    def issue_token(self):
        now = time.time()
        if self.current and self.current in self.tokens:
            self.tokens[self.current] = min(self.tokens[self.current], now + OVERLAP)
        self.current = secrets.token_hex(16)
        self.tokens[self.current] = now + TOKEN_LIFETIME
        self.token_fetches += 1
        return self.current

    def token_error(self, token):
        expires = self.tokens.get(token or "")
        if expires is None:
            return 40001
        if expires < time.time():
            return 42001
        return None

    def add_media(self, data, content_type="image/jpeg"):
        """Keep a file as WeChat keeps what a user sends (the image message carries its media id)."""
        media_id = "img" + secrets.token_hex(8)
        with self.lock:
            self.media[media_id] = (bytes(data), content_type)
        return media_id

    def take_injection(self, path):
        for rule in self.injections:
            if path.startswith(rule["path"]) and rule["times"] > 0:
                rule["times"] -= 1
                return dict(rule)
        return None


def create_simulator(appid, secret):
    """The simulator's Flask app."""
    app = Flask("wechat_simulator")
    state = SimulatorState(appid, secret)
    app.extensions["sim_state"] = state

    def error(code, message="simulated"):
        return jsonify(errcode=code, errmsg=message)

    def record(errcode=0):
        body = request.get_json(force=True, silent=True) if request.data else None
        params = {k: v for k, v in request.args.items() if k not in ("access_token", "secret")}
        with state.lock:
            if g.get("sim_generation") != state.generation:
                return
            state.calls.append({"id": next(state.ids), "at": time.time(), "method": request.method,
                                "path": request.path, "params": params, "body": body, "errcode": errcode})

    @app.before_request
    def injected():
        with state.lock:
            g.sim_generation = state.generation
        if request.path.startswith("/sim/"):
            return None
        with state.lock:
            rule = state.take_injection(request.path)
        if rule is None:
            return None
        if rule.get("delay"):
            time.sleep(rule["delay"])
        if rule.get("errcode"):
            record(rule["errcode"])
            return error(rule["errcode"], "injected")
        return None

    def needs_token():
        with state.lock:
            code = state.token_error(request.args.get("access_token"))
        if code:
            record(code)
            return error(code, "invalid credential" if code == 40001 else "access_token expired")
        return None

    @app.get("/cgi-bin/token")
    def token():
        if (request.args.get("appid"), request.args.get("secret")) != (state.appid, state.secret):
            return error(40125, "invalid appsecret")
        with state.lock:
            value = state.issue_token()
        record()
        return jsonify(access_token=value, expires_in=TOKEN_LIFETIME)

    @app.post("/cgi-bin/stable_token")
    def stable_token():
        data = request.get_json(force=True, silent=True) or {}
        if (data.get("appid"), data.get("secret")) != (state.appid, state.secret):
            return error(40125, "invalid appsecret")
        with state.lock:
            current = state.current
            if data.get("force_refresh") or state.token_error(current):
                current = state.issue_token()
            remaining = int(state.tokens[current] - time.time())
        record()
        return jsonify(access_token=current, expires_in=remaining)

    @app.get("/sns/jscode2session")
    def jscode2session():
        if (request.args.get("appid"), request.args.get("secret")) != (state.appid, state.secret):
            return error(40125, "invalid appsecret")
        code = request.args.get("js_code", "")
        with state.lock:
            if code in state.used_codes:
                outcome = (40163, None)
            else:
                outcome = (40029, None) if code not in state.login_codes else (0, state.login_codes.pop(code))
                if outcome[0] == 0:
                    state.used_codes.add(code)
        record(outcome[0])
        if outcome[0]:
            return error(outcome[0], "invalid code" if outcome[0] == 40029 else "code been used")
        openid, unionid = outcome[1]
        body = {"openid": openid, "session_key": secrets.token_urlsafe(16)}
        if unionid:
            body["unionid"] = unionid
        return jsonify(body)

    @app.post("/wxa/business/getuserphonenumber")
    def phone_number():
        refused = needs_token()
        if refused:
            return refused
        code = (request.get_json(force=True, silent=True) or {}).get("code", "")
        with state.lock:
            phone = state.phone_codes.pop(code, None)
        record(0 if phone else 40029)
        if phone is None:
            return error(40029, "invalid code")
        return jsonify(errcode=0, errmsg="ok", phone_info={"phoneNumber": phone, "purePhoneNumber": phone,
                                                            "countryCode": "86"})

    def send_endpoint(extra):
        refused = needs_token()
        if refused:
            return refused
        data = request.get_json(force=True, silent=True)
        if not isinstance(data, dict) or not data.get("touser"):
            record(40003)
            return error(40003, "invalid openid")
        record()
        return jsonify(errcode=0, errmsg="ok", **extra())

    @app.post("/cgi-bin/message/custom/send")
    def custom_send():
        return send_endpoint(dict)

    @app.post("/cgi-bin/message/template/send")
    def template_send():
        return send_endpoint(lambda: {"msgid": next(state.ids)})

    @app.post("/cgi-bin/message/subscribe/send")
    def subscribe_send():
        return send_endpoint(lambda: {"msgid": next(state.ids)})

    @app.post("/cgi-bin/qrcode/create")
    def qrcode_create():
        refused = needs_token()
        if refused:
            return refused
        data = request.get_json(force=True, silent=True) or {}
        scene = (data.get("action_info") or {}).get("scene") or {}
        record()
        ticket = secrets.token_urlsafe(24)
        return jsonify(ticket=ticket, expire_seconds=data.get("expire_seconds"),
                       url=f"http://weixin.qq.com/q/{scene.get('scene_str') or scene.get('scene_id')}")

    # control ------------------------------------------------------------------------------
    @app.get("/sim/calls")
    def calls():
        path = request.args.get("path")
        with state.lock:
            found = [c for c in state.calls if not path or c["path"] == path]
        return jsonify(found)

    @app.get("/cgi-bin/media/get")
    def media_get():
        refused = needs_token()
        if refused is not None:
            return refused
        with state.lock:
            found = state.media.get(request.args.get("media_id", ""))
        if found is None:
            record(40007)
            return error(40007, "invalid media_id")
        record()
        data, content_type = found
        return app.response_class(data, mimetype=content_type,
                                  headers={"Content-Disposition": 'attachment; filename="media.jpg"'})

    @app.post("/sim/media")
    def sim_media():
        return jsonify(media_id=state.add_media(request.get_data(), request.content_type or "image/jpeg"))

    @app.get("/sim/state")
    def sim_state():
        with state.lock:
            return jsonify(token_fetches=state.token_fetches, calls=len(state.calls),
                           injections=[dict(r) for r in state.injections if r["times"] > 0])

    @app.post("/sim/reset")
    def reset():
        state.reset()
        return jsonify(ok=True)

    @app.post("/sim/inject")
    def inject():
        data = request.get_json(force=True, silent=True) or {}
        rule = {"path": data.get("path", "/"), "errcode": data.get("errcode"), "delay": data.get("delay"),
                "times": int(data.get("times", 1))}
        with state.lock:
            state.injections.append(rule)
        return jsonify(rule)

    @app.post("/sim/revoke-tokens")
    def revoke_tokens():
        """Every token issued so far stops working (as when another party forced a refresh)."""
        with state.lock:
            state.tokens = {}
        return jsonify(ok=True)

    @app.post("/sim/login-code")
    def login_code():
        data = request.get_json(force=True, silent=True) or {}
        code = secrets.token_urlsafe(12)
        with state.lock:
            state.login_codes[code] = (data["openid"], data.get("unionid"))
        return jsonify(code=code)

    @app.post("/sim/phone-code")
    def phone_code():
        data = request.get_json(force=True, silent=True) or {}
        code = secrets.token_urlsafe(12)
        with state.lock:
            state.phone_codes[code] = data["phone"]
        return jsonify(code=code)

    return app


class QuietHandler(WSGIRequestHandler):
    """No access log: request lines carry access tokens and secrets. /sim/calls is the record."""

    def log_request(self, *args, **kwargs):
        pass


class SimulatorServer:
    """The simulator served by a threaded HTTP server on loopback, in a background thread."""

    def __init__(self, appid, secret, host="127.0.0.1", port=0):
        self.app = create_simulator(appid, secret)
        self.server = make_server(host, port, self.app, threaded=True, request_handler=QuietHandler)
        self.url = f"http://{host}:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def state(self):
        return self.app.extensions["sim_state"]

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
