"""What the applicant is told by mail, and when: the mails of the application's transitions and account changes
(``events``), the renewal reminders (``reminders``) and the ``flask mail`` commands (``commands``). The outbox
(``portal/services/infrastructure/outbox.py``) carries them."""
