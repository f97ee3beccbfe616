"""Pages of this feature."""

from flask import Blueprint

bp = Blueprint("certificates", __name__)
