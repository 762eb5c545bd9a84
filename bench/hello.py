"""The baseline of bench/pages.py: a hello-world Flask app served by the same gunicorn settings in the same run."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"
