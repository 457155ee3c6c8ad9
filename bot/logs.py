"""Logging set-up: discord.py's handler, quieter HTTP logs, and secrets redacted from every line."""

import logging

# discord.py's own format when the stream shows no colour, so every command's lines read alike.
FORMAT = "[{asctime}] [{levelname:<8}] {name}: {message}"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


class RedactSecrets(logging.Filter):
    """Replace any secret that reaches a log record with a mask."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message if it holds a secret; always keep the record."""
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "[redacted]")
            record.msg, record.args = message, None
        return True


def setup_logging(level: int, secrets: list[str], *, with_discord: bool = True) -> None:
    """Configure logging once for the process: through discord.py when it runs, else the same lines without it.

    Importing discord.py takes about 0.2 s, which the data commands (imports timed over whole histories)
    should not pay just to log.
    """
    if with_discord:
        import discord.utils  # only here: see the docstring

        discord.utils.setup_logging(level=level, root=True)
        logging.getLogger("discord.http").setLevel(max(level, logging.INFO))
    else:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(FORMAT, DATE_FORMAT, style="{"))
        root = logging.getLogger()
        root.setLevel(level)
        root.addHandler(handler)
    redact = RedactSecrets(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
