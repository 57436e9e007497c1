"""The ``public`` blueprint itself, apart from its pages so each page module can add to it."""

from flask import Blueprint

bp = Blueprint("public", __name__)
