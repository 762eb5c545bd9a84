"""The console's home page: what waits for this staff member."""

from __future__ import annotations

from flask_admin import AdminIndexView, expose

from ..services.review import queue as review_queue
from .gate import ConsoleGate, current_staff


class ConsoleHomeView(ConsoleGate, AdminIndexView):
    #: set by init_console: the views the home page links to
    applications = None
    corrections = None

    @expose("/")
    def index(self):
        """首页: counts of 待初审 / 待审批 applications and pending correction requests, with links to them."""
        staff = current_staff()
        return self.render("reviewer/home.html", staff=staff, counts=review_queue.pending_counts(staff),
                           queue_url=self.applications.queue_url, corrections_url=self.corrections.pending_url())
