"""Pages of this feature."""

from flask import Blueprint

bp = Blueprint("courses", __name__)
