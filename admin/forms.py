"""Forms of the admin panel (CSRF-protected by Flask-WTF); labels and messages go through Babel."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (BooleanField, DateField, DateTimeLocalField, HiddenField, IntegerField, MultipleFileField,
                     PasswordField, RadioField, SelectField, StringField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from admin import labels
from core.passwords import policy_params
from surveys.texts import CONDITION_OPS, QUESTION_TYPES

REQUIRED = _l("This field is required.")
NUMBER = _l("Enter a whole number.")
DATETIME = _l("Enter a date and time.")
DATE = _l("Enter a date.")


def required():
    return DataRequired(REQUIRED)


def options(pairs):
    """Choices of a select or radio field from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def choice_list(table):
    return options(table.items())


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[required(), Length(max=64)],
                           render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[required(), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})


# The one password policy in words, beside every new-password field (the service checks it: core/passwords.py).
PASSWORD_POLICY = _l("At least %(min)s characters; not a common password and not containing the user name.",
                     **policy_params())


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[required(), Length(max=256)],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("New password"), validators=[required(), Length(max=256)],
                                 description=PASSWORD_POLICY, render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("New password again"), validators=[required(), Length(max=256)],
                            render_kw={"autocomplete": "new-password"})


class PasswordResetForm(FlaskForm):
    password = PasswordField(_l("New password (to be changed at the next sign-in)"),
                             validators=[required(), Length(max=256)], description=PASSWORD_POLICY,
                             render_kw={"autocomplete": "new-password"})


class VoteForm(FlaskForm):
    scope = SelectField(_l("Who votes"), validators=[required()], validate_choice=False)
    matter = SelectField(_l("Matter (Civil Code art. 278)"), choices=choice_list(labels.MATTERS),
                         validators=[required()])
    title = StringField(_l("Title"), validators=[required(), Length(max=200)])
    text = TextAreaField(_l("Text of the matter"), validators=[Length(max=20000)])
    threshold = StringField(_l("Threshold set by the county (only for willingness), e.g. 2/3"),
                            validators=[Length(max=16)])
    publish_details = BooleanField(_l("Publish each home's choice with the result (only to the owners of the "
                                      "scope, signed in; fixed once the vote opens and shown to voters)"))

    def validate_scope(self, field):
        kind, _sep, ident = (field.data or "").partition(":")
        if kind not in labels.SCOPES or not ident.isdigit():
            raise ValidationError(_l("Choose who votes."))


class OpenVoteForm(FlaskForm):
    opens_at = DateTimeLocalField(_l("Opens at (Beijing time)"), format="%Y-%m-%dT%H:%M",
                                  validators=[InputRequired(DATETIME)])
    closes_at = DateTimeLocalField(_l("Closes at (Beijing time)"), format="%Y-%m-%dT%H:%M",
                                   validators=[InputRequired(DATETIME)])


class ExtendVoteForm(FlaskForm):
    closes_at = DateTimeLocalField(_l("New closing time (Beijing time)"), format="%Y-%m-%dT%H:%M",
                                   validators=[InputRequired(DATETIME)])
    reason = StringField(_l("Reason for the extension"), validators=[required(), Length(max=500)])


class PaperEntryForm(FlaskForm):
    code = StringField(_l("Ballot code (scan or type)"), validators=[required(), Length(max=64)])
    choice = RadioField(_l("Choice ticked on the ballot"), choices=choice_list(labels.CHOICES),
                        validators=[InputRequired(REQUIRED)])


class ConfirmEntryForm(FlaskForm):
    entry_id = HiddenField(validators=[required()])
    choice = RadioField(_l("Choice you read on the ballot"), choices=choice_list(labels.CHOICES),
                        validators=[InputRequired(REQUIRED)])


class ProxyForm(FlaskForm):
    dwelling_id = SelectField(_l("Home the proxy votes for"), validators=[required()], validate_choice=False)
    owner_id = SelectField(_l("The owner who signed the authorisation"), validate_choice=False,
                           description=_l("Needed when the home has several owners. The proxy may vote only while "
                                          "this person owns the home."))
    account_id = SelectField(_l("The proxy (a WeChat user verified as on the roll)"), validators=[required()],
                             validate_choice=False)
    id_number = StringField(_l("The proxy's ID number, as on the authorisation"),
                            validators=[required(), Length(max=32)])
    authorisation = TextAreaField(_l("What the authorisation says"), validators=[required(), Length(max=2000)])
    document = FileField(_l("The signed authorisation (委托书), PDF or photo"))


class PublishForm(FlaskForm):
    """Publishing only: whether each home's choice is published was fixed before the vote opened."""


class CanvassForm(FlaskForm):
    dwelling_id = HiddenField(validators=[required()])
    status = SelectField(_l("Door-to-door"), choices=choice_list(labels.CANVASS), validators=[required()])


class RollImportForm(FlaskForm):
    file = FileField(_l("Voter roll (.xlsx or .csv)"))

    def validate_file(self, field):
        if not field.data or not getattr(field.data, "filename", ""):
            raise ValidationError(REQUIRED)


class RollConfirmForm(FlaskForm):
    """Confirms a previewed roll import (the file is held on the server)."""


class DwellingForm(FlaskForm):
    registered_area = StringField(_l("Registered area (m²)"), validators=[Length(max=20)])
    surveyed_area = StringField(_l("Surveyed area (m²)"), validators=[Length(max=20)])
    contract_area = StringField(_l("Contract area (m²)"), validators=[Length(max=20)])


class OwnerForm(FlaskForm):
    name = StringField(_l("Name"), validators=[required(), Length(max=100)])
    phone = StringField(_l("Mobile phone"), validators=[Length(max=20)])


class BindingCodeForm(FlaskForm):
    dwelling_id = HiddenField(validators=[required()])
    kind = SelectField(_l("Binding as"), choices=options([("owner", _l("owner")), ("tenant", _l("tenant"))]))


class DecideBindingForm(FlaskForm):
    request_id = HiddenField(validators=[required()])
    decision = SelectField(_l("Decision"), validators=[required()],
                           choices=options([("owner", _l("approve as owner")),
                                                            ("tenant", _l("approve as tenant")),
                                                            ("reject", _l("reject"))]))
    evidence = StringField(_l("What you checked (needed to approve an owner)"), validators=[Length(max=500)])


class ClassifyForm(FlaskForm):
    catalogue_code = SelectField(_l("Catalogue item"), validators=[required()], validate_choice=False)


class MergeForm(FlaskForm):
    into = IntegerField(_l("Merge into wish number"), validators=[InputRequired(NUMBER)])


class AnswerForm(FlaskForm):
    text = TextAreaField(_l("Answer to the resident"), validators=[required(), Length(max=600)])


class SurveyGenerateForm(FlaskForm):
    compound_id = SelectField(_l("Compound"), validators=[required()], validate_choice=False)


class SurveyDefinitionForm(FlaskForm):
    definition = TextAreaField(_l("Questions and conditions (JSON)"), validators=[required(), Length(max=200000)],
                               render_kw={"class": "code", "rows": 24, "spellcheck": "false"})


class QuestionForm(FlaskForm):
    section = SelectField(_l("Section"), validate_choice=False)
    title = StringField(_l("Question"), validators=[required(), Length(max=300)])
    kind = SelectField(_l("Kind of answer"), choices=choice_list({k: v for k, v in QUESTION_TYPES.items()
                                                               if k != "matrix"}), validators=[required()])
    required_answer = BooleanField(_l("An answer is required"))
    options = TextAreaField(_l("Options, one per line (id = text, or just the text)"),
                            validators=[Length(max=5000)], render_kw={"rows": 5})
    show_question = SelectField(_l("Show only when question"), validate_choice=False)
    show_op = SelectField(_l("Condition"), choices=choice_list(CONDITION_OPS))
    show_value = StringField(_l("Answer (as the residents see it, e.g. an option's text)"),
                             validators=[Length(max=100)])


class SurveyOpenForm(OpenVoteForm):
    pass


class ProjectForm(FlaskForm):
    name = StringField(_l("Project name"), validators=[required(), Length(max=200)])
    compounds = SelectField(_l("Compound"), validators=[required()], validate_choice=False)
    reserve_level = SelectField(_l("Reserve level"), choices=options([("county", _l("county")),
                                                                      ("city", _l("city")),
                                                                      ("province", _l("province"))]))
    plan_year = IntegerField(_l("Plan year"), validators=[Optional(), NumberRange(2000, 2100)])


class ItemForm(FlaskForm):
    catalogue_code = SelectField(_l("Catalogue item"), validators=[required()], validate_choice=False)
    budget = IntegerField(_l("Budget (yuan)"), validators=[InputRequired(NUMBER), NumberRange(0, 10 ** 10)])


class ProgressForm(FlaskForm):
    item_id = HiddenField(validators=[required()])
    progress = IntegerField(_l("Progress (%)"), validators=[InputRequired(NUMBER), NumberRange(0, 100)])


class StageForm(FlaskForm):
    stage = SelectField(_l("Move to stage"), choices=choice_list(labels.STAGES), validators=[required()])
    reason = StringField(_l("Reason (needed when skipping a stage)"), validators=[Length(max=500)])


class PlanStageForm(FlaskForm):
    stage = SelectField(_l("Stage"), choices=choice_list(labels.STAGES), validators=[required()])
    planned_start = DateField(_l("Planned start"), validators=[InputRequired(DATE)])
    planned_end = DateField(_l("Planned end"), validators=[InputRequired(DATE)])


class MilestoneForm(FlaskForm):
    title = StringField(_l("Milestone"), validators=[required(), Length(max=200)])
    text = TextAreaField(_l("Description"), validators=[Length(max=2000)])
    photos = MultipleFileField(_l("Photos (JPEG or PNG, up to 2 MB each, at most 3)"))


class FundingForm(FlaskForm):
    source = SelectField(_l("Source"), choices=choice_list(labels.FUNDING), validators=[required()])
    amount = IntegerField(_l("Amount (yuan)"), validators=[InputRequired(NUMBER), NumberRange(1, 10 ** 10)])
    note = StringField(_l("Note"), validators=[Length(max=200)])


class AcceptanceForm(FlaskForm):
    note = TextAreaField(_l("Joint acceptance record"), validators=[required(), Length(max=2000)])
    representatives = TextAreaField(_l("Residents' representatives who took part, one per line"),
                                    validators=[required(), Length(max=2000)])
    participants = TextAreaField(_l("Other participants, one per line (name and organisation)"),
                                 validators=[Length(max=4000)])
    defects = TextAreaField(_l("Defects found, one per line (handover waits until each is closed or waived)"),
                            validators=[Length(max=20000)])


class ReportForm(FlaskForm):
    report_id = HiddenField(validators=[required()])
    status = SelectField(_l("Status"), choices=choice_list(labels.REPORT_STATES), validators=[required()])
    assignee = StringField(_l("Assigned to"), validators=[Length(max=100)])
    answer = StringField(_l("Answer to the resident"), validators=[Length(max=600)])


class NoticeForm(FlaskForm):
    scope = SelectField(_l("Audience"), validators=[required()], validate_choice=False)
    title = StringField(_l("Title"), validators=[required(), Length(max=100)])
    body = TextAreaField(_l("Message"), validators=[required(), Length(max=600)])
    scheduled_at = DateTimeLocalField(_l("Send at (Beijing time; empty: now)"), format="%Y-%m-%dT%H:%M",
                                      validators=[Optional()])
    urgent = BooleanField(_l("Urgent: a water, power or gas cut, or safety (sent before general news)"))


class TargetForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[InputRequired(NUMBER), NumberRange(2000, 2100)])
    compounds = IntegerField(_l("Compounds to start"), validators=[InputRequired(NUMBER), NumberRange(0, 10 ** 6)])
    households = IntegerField(_l("Households to start"), validators=[InputRequired(NUMBER),
                                                                     NumberRange(0, 10 ** 8)])


class StaffForm(FlaskForm):
    username = StringField(_l("User name"), validators=[required(), Length(min=3, max=64)])
    name = StringField(_l("Full name"), validators=[required(), Length(max=100)])
    role = SelectField(_l("Role"), choices=choice_list(labels.ROLES), validators=[required()])
    region_id = SelectField(_l("Region"), validators=[required()], validate_choice=False)
    password = PasswordField(_l("Initial password"), validators=[required(), Length(max=256)],
                             description=PASSWORD_POLICY, render_kw={"autocomplete": "new-password"})


class StaffEditForm(FlaskForm):
    role = SelectField(_l("Role"), choices=choice_list(labels.ROLES), validators=[required()])
    region_id = SelectField(_l("Region"), validators=[required()], validate_choice=False)
    active = BooleanField(_l("Account active"))


class CatalogueItemForm(FlaskForm):
    cls = SelectField(_l("Class"), choices=options([("basic", _l("basic")), ("improvement", _l("improvement")),
                                                    ("enhancement", _l("enhancement"))]))
    name_zh = StringField(_l("Name in Chinese"), validators=[required(), Length(max=100)])
    name_en = StringField(_l("Name in English"), validators=[required(), Length(max=100)])


class ChatForm(FlaskForm):
    openid = SelectField(_l("Talk as"), validators=[required()], validate_choice=False)
    text = StringField(_l("Message"), validators=[required(), Length(max=600)])


class RegionForm(FlaskForm):
    parent_id = SelectField(_l("Above it"), validators=[required()], validate_choice=False)
    name = StringField(_l("Name of the new region"), validators=[required(), Length(max=100)])


class CompoundForm(FlaskForm):
    community_id = SelectField(_l("Community"), validators=[required()], validate_choice=False)
    name = StringField(_l("Name of the compound"), validators=[required(), Length(max=100)])
    address = StringField(_l("Address"), validators=[Length(max=255)])
    built_year = IntegerField(_l("Year built"), validators=[Optional(), NumberRange(1900, 2100, _l("Give the year it was built, e.g. 1995."))])
    households = IntegerField(_l("Households"), validators=[Optional(), NumberRange(0, 100000, _l("Give a whole number of households."))])


class BuildingForm(FlaskForm):
    name = StringField(_l("Building number or name"), validators=[required(), Length(max=32)])
    floors = IntegerField(_l("Floors"), validators=[Optional(), NumberRange(1, 200, _l("Give the number of floors (1 to 200)."))])
    has_lift = BooleanField(_l("Has a lift"))


class UnitForm(FlaskForm):
    building_id = SelectField(_l("Building"), validators=[required()], validate_choice=False)
    name = StringField(_l("Unit number"), validators=[required(), Length(max=32)])


class NewDwellingForm(FlaskForm):
    unit_id = SelectField(_l("Stairwell unit"), validators=[required()], validate_choice=False)
    room = StringField(_l("Room"), validators=[required(), Length(max=32)])
    registered_area = StringField(_l("Registered area (m²)"), validators=[Length(max=20)])
    surveyed_area = StringField(_l("Surveyed area (m²)"), validators=[Length(max=20)])
    contract_area = StringField(_l("Contract area (m²)"), validators=[Length(max=20)])
