"""The applicant side: public pages under ``/`` (blueprint ``public``) and the applicant's own pages under
``/applicant/`` (blueprint ``applicant``)."""

from flask import Blueprint

public_bp = Blueprint("public", __name__, template_folder="templates")
bp = Blueprint("applicant", __name__, url_prefix="/applicant", template_folder="templates")

from . import account, auth, public, renewal  # noqa: E402,F401 - attach the views
