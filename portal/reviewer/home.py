"""The console's home page: the dashboard of what waits for this staff member — counts by status, the age of the
queue in working days (a chart drawn in the browser from ``dashboard.json``, with the same figures in a table),
overdue and nearly due items first; for central staff the same across bodies, a table by body and the renewals
nearing their expiry undecided. The counts are at most a minute old (``dashboard.build``): the page says when they
were counted."""

from __future__ import annotations

from flask import jsonify
from flask_admin import AdminIndexView, expose

from ..services.review import dashboard
from .gate import ConsoleGate, current_staff
from .listing import local_time


class ConsoleHomeView(ConsoleGate, AdminIndexView):
    #: set by init_console: the views the home page links to
    applications = None
    corrections = None

    @expose("/")
    def index(self):
        """首页: the dashboard, and the counts of 待初审 / 待审批 applications and pending correction requests."""
        staff = current_staff()
        dash = dashboard.build(staff)
        return self.render("reviewer/home.html", staff=staff, counts=dash["counts"], dash=dash,
                           figures_at=local_time(dash["figures_at"], seconds=True),
                           queue_url=self.applications.queue_url,
                           urgent_url=self.urgent_url, body_url=self.body_url,
                           corrections_url=self.corrections.pending_url())

    @expose("/dashboard.json")
    def data(self):
        """The figures the home page's charts draw (same scope as the page)."""
        return jsonify(dashboard.chart_json(dashboard.build(current_staff())))

    def urgent_url(self, urgency: str, status: str | None = None, body_code: str | None = None) -> str:
        """The queue filtered to 即将超期 or 已超期 (and one status / body)."""
        return self.applications.filtered_url(status=status, urgency=urgency, body_code=body_code)

    def body_url(self, body_code: str, status: str = "submitted") -> str:
        return self.applications.filtered_url(status=status, body_code=body_code)
