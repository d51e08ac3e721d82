"""Who may see the photos answering a survey's photo question: the resident who answered (their household for
a survey answered per home), or staff who manage surveys in the survey's region (written answers are theirs)."""
from core.extensions import db
from core.models import Region
from core.uploads import owner_kind, staff_may_read
from surveys.models import Survey, SurveyResponse


@owner_kind("survey_response")
def may_see_response(response_id, staff=None, account=None):
    """The respondent, or staff who may manage the survey in its region."""
    response = db.session.get(SurveyResponse, response_id)
    if response is None:
        return False
    if account is not None:
        return response.account_id == account.id
    survey = db.session.get(Survey, response.survey_id)
    return staff is not None and staff_may_read(staff, "surveys.manage", db.session.get(Region, survey.region_id))
