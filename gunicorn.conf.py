"""gunicorn's settings for the portal (README, Deployment): ``.venv/bin/gunicorn -c gunicorn.conf.py wsgi:app``
from the checkout (gunicorn also reads this file by itself when started there). Flags on the command line win,
e.g. ``--workers 8`` or ``--bind unix:/run/portal.sock``."""

import multiprocessing

#: behind the reverse proxy on the same host; PORTAL_TRUSTED_PROXIES lists the proxy's address (127.0.0.1)
bind = "127.0.0.1:8000"
#: one process per core, each with threads (gthread): argon2 releases the GIL while it hashes, so a wave of logins
#: occupies some threads while the others keep answering pages; with sync workers every login held a whole worker
#: and the next page queued behind it (README, Performance: the login wave). Threads share the process's database
#: pool (SQLAlchemy's default: 5 connections + 10 overflow, enough for 8 threads).
workers = max(2, multiprocessing.cpu_count())
worker_class = "gthread"
threads = 8
#: a request that has not finished in this many seconds is cut off and its worker restarted
timeout = 30

#: one line per request on standard output (client, request line, status, size, referrer, browser, seconds), and
#: gunicorn's and the portal's own messages (warnings, refused forms, errors) on standard error
accesslog = "-"
errorlog = "-"
loglevel = "info"
access_log_format = '%(h)s "%({x-forwarded-for}i)s" %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(L)s'


def post_worker_init(worker):
    """Once a worker has loaded the app: what start-up made (~440,000 objects: modules, the app, its routes,
    templates, translations, fonts) moves to the garbage collector's permanent generation, so no full collection
    during a request walks it again (the 申请表 PDF's layout is the request that made most garbage)."""
    import gc

    gc.collect()
    gc.freeze()
