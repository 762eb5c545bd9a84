"""延续注册 wizard and 历史记录 (placeholders until the renewal work fills them)."""

from flask import render_template
from flask_login import login_required

from . import bp


@bp.get("/renewal/")
@login_required
def renewal_index():
    """延续注册 — the wizard's entry point."""
    return render_template("applicant/home.html")


@bp.get("/history")
@login_required
def history():
    """历史记录."""
    return render_template("applicant/home.html")
