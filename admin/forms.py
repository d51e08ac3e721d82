"""Forms of the admin panel (CSRF-protected by Flask-WTF)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(_l("This field is required.")),
                                                        Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("This field is required.")),
                                                         Length(max=256)])
