"""Flask's signed-cookie session, opened without building the cookie's signer when a request brings no cookie."""
from flask.sessions import SecureCookieSessionInterface


class CookieSessions(SecureCookieSessionInterface):
    """As Flask's own. A request without the session cookie (every message from WeChat, every call of the
    mini-program: most requests of a vote night) starts an empty session at once; Flask would first build the
    cookie's signer (a key derivation and a serializer) for nothing. Saving is Flask's: a session that stays empty
    sets no cookie, one that was filled is signed as usual."""

    def open_session(self, app, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)
