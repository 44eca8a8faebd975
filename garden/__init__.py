"""garden: grow a small garden by talking to it."""

__version__ = "0.1.0"
