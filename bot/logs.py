"""Logging set-up: discord.py's handler, quieter HTTP logs, and secrets redacted from every line."""

import logging

import discord


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


def setup_logging(level: int, secrets: list[str]) -> None:
    """Configure logging once for the process."""
    discord.utils.setup_logging(level=level, root=True)
    logging.getLogger("discord.http").setLevel(max(level, logging.INFO))
    redact = RedactSecrets(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
