"""Domain exceptions. Services raise them; views turn them into translated messages."""


class LmsError(Exception):
    """Base of every error the application expects and explains to its users."""


class ConfigError(LmsError):
    """A setting is missing or malformed."""


class NotFound(LmsError):
    """The thing asked for does not exist (or the actor may not know it exists)."""


class PermissionDenied(LmsError):
    """The acting user may not do this."""
