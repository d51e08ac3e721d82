"""Translated names of the codes the domain stores (matters, states, stages, choices, roles)."""
from flask_babel import lazy_gettext as _l

MATTERS = {
    "procedure_rules": _l("Rules of procedure of the owners' assembly"),
    "management_covenant": _l("Management covenant"),
    "owners_committee": _l("Electing or changing the owners' committee"),
    "property_manager": _l("Hiring or dismissing the property manager"),
    "use_maintenance_fund": _l("Using the maintenance fund"),
    "raise_maintenance_fund": _l("Raising the maintenance fund"),
    "rebuild": _l("Rebuilding or renovating buildings and facilities"),
    "change_common_use": _l("Changing the use of common parts"),
    "other_major": _l("Other major matters of common ownership"),
    "renovation_willingness": _l("Willingness to renovate (threshold set by the county)"),
}
VOTE_STATES = {"draft": _l("draft"), "open": _l("open"), "closed": _l("closed"), "published": _l("published"),
               "archived": _l("archived")}
CHOICES = {"agree": _l("agree"), "disagree": _l("disagree"), "abstain": _l("abstain")}
SCOPES = {"compound": _l("whole compound"), "building": _l("building"), "unit": _l("stairwell unit")}
CANVASS = {"pending": _l("not visited"), "visited": _l("visited"), "refused": _l("refused"),
           "collected": _l("ballot collected")}
ENTRY_STATES = {"pending": _l("awaiting confirmation"), "confirmed": _l("confirmed"), "mismatch": _l("mismatch"),
                "void": _l("void (never confirmed)")}
STAGES = {"reserve": _l("reserve"), "planned": _l("planned"), "design": _l("design"), "publicity": _l("publicity"),
          "approval": _l("approval"), "construction": _l("construction"), "acceptance": _l("acceptance"),
          "handover": _l("handover"), "management": _l("long-term management")}
DELIVERY_STATES = {"pending": _l("waiting to be sent"), "sending": _l("being sent"), "sent": _l("sent"),
                   "inbox": _l("in the resident's inbox only"), "failed": _l("failed")}
CHANNELS = {"subscribe": _l("subscribe message"), "template": _l("template message"),
            "customer_service": _l("customer-service message"), "inbox": _l("inbox")}
ROLES = {"committee": _l("neighbourhood committee"), "street": _l("street office"), "county": _l("county"),
         "city": _l("city"), "province": _l("province"), "admin": _l("administrator")}
LEVELS = {"province": _l("province"), "city": _l("city"), "county": _l("county"), "street": _l("street"),
          "community": _l("community")}
WISH_STATES = {"submitted": _l("submitted"), "classified": _l("classified"), "merged": _l("merged"),
               "answered": _l("answered")}
SURVEY_STATES = {"draft": _l("draft"), "open": _l("open"), "closed": _l("closed")}
REPORT_STATES = {"new": _l("new"), "triaged": _l("triaged"), "assigned": _l("assigned"), "resolved": _l("resolved")}
FUNDING = {"central_subsidy": _l("central subsidy"), "provincial_subsidy": _l("provincial subsidy"),
           "city_county": _l("city and county budgets"), "special_bond": _l("special bonds"),
           "resident_cash": _l("residents' contributions"), "maintenance_fund": _l("maintenance fund"),
           "provident_fund": _l("housing provident fund"), "shared_income": _l("income from common parts"),
           "employer_unit": _l("original work units"), "utility_company": _l("utility companies"),
           "social_capital": _l("social capital"), "bank_credit": _l("bank credit"), "other": _l("other")}
COMPOUND_STATES = {"registered": _l("registered"), "reserve": _l("reserve"), "planned": _l("planned"),
                   "renovating": _l("renovating"), "completed": _l("completed"), "excluded": _l("excluded")}


def label(table, code):
    """The translated name of `code`, or the code itself when unknown."""
    return str(table.get(code, code)) if code is not None else ""
