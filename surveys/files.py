"""Who may see the photos a resident gave as a survey answer: the resident who answered (for a household's
survey, the household while it is asked), and, once the answers are submitted, staff who manage the survey."""
from core.extensions import db
from core.models import Region
from core.uploads import owner_kind, staff_may_read
from surveys.models import Survey, SurveyResponse


@owner_kind("survey_response")
def may_see_survey_response(response_id, staff=None, account=None):
    response = db.session.get(SurveyResponse, response_id)
    if response is None:
        return False
    survey = db.session.get(Survey, response.survey_id)
    if account is not None:
        if response.account_id == account.id:
            return True
        from surveys.services import _in_audience
        return (survey.per == "dwelling" and account.dwelling_id == response.dwelling_id
                and _in_audience(survey, account))
    return (staff is not None and response.submitted
            and staff_may_read(staff, "surveys.manage", db.session.get(Region, survey.region_id)))


@owner_kind("survey_upload")
def may_see_survey_upload(account_id, staff=None, account=None):
    """A photo uploaded for a survey answer, before it is an answer: the resident who uploaded it."""
    return account is not None and account.id == account_id
