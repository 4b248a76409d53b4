"""kerasette's version, on the bottom floor so that any module (the file writers) can read it."""

__version__ = "0.1.0"


def version() -> str:
    """The installed kerasette version, like ``keras.version()``."""
    return __version__
