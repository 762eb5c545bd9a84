"""The applicant's own pages (placeholder until the accounts issue fills it)."""

from flask import render_template
from flask_login import login_required

from . import bp


@bp.get("/")
@login_required
def home():
    """个人页面."""
    return render_template("applicant/home.html")
