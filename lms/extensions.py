"""Flask extensions, created unbound and initialised in the app factory."""

from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

babel = Babel()
compress = Compress()
csrf = CSRFProtect()
login_manager = LoginManager()
migrate = Migrate()
# No default limits: only the routes that need throttling (login, reset, register) declare theirs.
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
