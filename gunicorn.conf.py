"""gunicorn's settings for the portal (README, Deployment): ``.venv/bin/gunicorn -c gunicorn.conf.py wsgi:app``
from the checkout (gunicorn also reads this file by itself when started there). Flags on the command line win,
e.g. ``--workers 8`` or ``--bind unix:/run/portal.sock``."""

#: behind the reverse proxy on the same host; PORTAL_TRUSTED_PROXIES lists the proxy's address (127.0.0.1)
bind = "127.0.0.1:8000"
workers = 4
#: a request that has not finished in this many seconds is cut off and its worker restarted
timeout = 30

#: one line per request on standard output (client, request line, status, size, referrer, browser, seconds), and
#: gunicorn's and the portal's own messages (warnings, refused forms, errors) on standard error
accesslog = "-"
errorlog = "-"
loglevel = "info"
access_log_format = '%(h)s "%({x-forwarded-for}i)s" %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(L)s'
