"""Pages of this feature."""

from flask import Blueprint

bp = Blueprint("auth", __name__)
