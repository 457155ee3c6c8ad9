"""Settings: the only place that reads the environment."""

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

from dotenv import dotenv_values

from bot.series import BY_CODE

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_NASCAR_DATA_URL = "https://nascar.kylegrealis.com"  # where nascaR.data publishes {series}_series.csv
DEFAULT_NASCAR_FEED_URL = "https://cf.nascar.com"  # NASCAR's public, unofficial JSON feeds
_MODULE_NAME = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$", re.ASCII)


class ConfigError(Exception):
    """A missing or invalid setting; the message names the variable and the fix."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


class Secret:
    """A string that never shows itself in repr, str or logs."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the hidden value, for the one call that needs it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the bot is configured with, read once at start."""

    token: Secret | None
    database_path: Path
    dev_guild_id: int | None = None
    log_level: int = logging.INFO
    shard_count: int | None = None
    # The shards this process runs (SHARD_IDS), out of shard_count; None: all of them. Several processes, each over
    # a slice, need shard_count and database_url (they share what servers write).
    shard_ids: tuple[int, ...] | None = None
    api_base: str | None = None
    gateway_url: str | None = None
    data_dir: Path = field(default=PROJECT_ROOT / "data")
    extra_extensions: tuple[str, ...] = ()  # loaded after the bot's own; benchmarks only
    nascar_data_url: str = DEFAULT_NASCAR_DATA_URL  # the host `import nascar-data` downloads series files from
    follow_series: tuple[str, ...] = ()  # series codes the running bot keeps current from nascaR.data; () is off
    race_feed: bool = False  # read NASCAR's public but unofficial JSON feeds (RACE_FEED=on): the owner's choice
    nascar_feed_url: str = DEFAULT_NASCAR_FEED_URL
    # PostgreSQL for what servers write (DATABASE_URL), so several processes share it; None: all in the SQLite file
    database_url: Secret | None = None


def read_environment(env_file: Path | None = PROJECT_ROOT / ".env") -> dict[str, str]:
    """Return the process environment over the values of the .env file (the environment wins)."""
    values = {k: v for k, v in dotenv_values(env_file).items() if v is not None} if env_file else {}
    values.update(os.environ)
    return values


def _optional_int(env: Mapping[str, str], name: str, fix: str, *, minimum: int = 0) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"'{raw}' is not a whole number; {fix}") from None
    if value < minimum:
        raise ConfigError(name, f"must be at least {minimum}; {fix}")
    return value


def _optional_url(env: Mapping[str, str], name: str, schemes: tuple[str, ...]) -> str | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    if not raw.startswith(tuple(f"{s}://" for s in schemes)):
        raise ConfigError(
            name, f"'{raw}' must start with {' or '.join(s + '://' for s in schemes)}; or leave it unset."
        )
    example = f"{schemes[0]}://127.0.0.1:8080"
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - reading it is the check: urllib raises for a port that is not 0-65535
    except ValueError as error:  # a bad port, or an unclosed [IPv6 address
        raise ConfigError(
            name, f"'{raw}' is not a usable URL ({error}); write it like {example}, or leave it unset."
        ) from None
    if not parts.hostname:
        raise ConfigError(name, f"'{raw}' names no host; give one, as in {example}, or leave it unset.")
    return raw.rstrip("/")


def redact_url(url: str) -> str:
    """Return url with its password masked, as it may be shown in a message or a log line."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return "(an unreadable URL)"
    if password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return SplitResult(parts.scheme, f"{user}:***@{netloc[1]}", parts.path, parts.query, parts.fragment).geturl()


def _database_url(env: Mapping[str, str], name: str) -> Secret | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    shown = redact_url(raw)
    if not raw.startswith(("postgresql://", "postgres://")):
        raise ConfigError(
            name,
            f"'{shown}' must start with postgresql:// or postgres://, as in postgresql://pitboard:secret@db.example/"
            "pitboard; or leave it empty to keep everything in the SQLite file.",
        )
    try:
        urlsplit(raw).port  # noqa: B018 - reading it is the check: urllib raises for a port that is not 0-65535
    except ValueError as error:
        raise ConfigError(name, f"'{shown}' is not a usable URL ({error}).") from None
    return Secret(raw)


def _module_names(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in env.get(name, "").split(",") if part.strip())
    for module in names:
        if not _MODULE_NAME.match(module):
            raise ConfigError(name, f"'{module}' is not a module name such as bench.floor; separate names with commas.")
    return names


def _series_codes(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    codes: list[str] = []
    for part in env.get(name, "").split(","):
        code = part.strip().lower()
        if not code:
            continue
        if code not in BY_CODE:
            raise ConfigError(name, f"'{part.strip()}' is not a series; use {', '.join(BY_CODE)}, separated by commas.")
        if code not in codes:
            codes.append(code)
    return tuple(codes)


def _switch(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in ("", "off"):
        return False
    if raw == "on":
        return True
    raise ConfigError(name, f"'{env[name].strip()}' is neither on nor off.")


def _shard_ids(
    env: Mapping[str, str], name: str, shard_count: int | None, database_url: Secret | None
) -> tuple[int, ...] | None:
    """Read SHARD_IDS ("0-3", "0,2,5" or both, as in "0-1,4"): the shards this process runs, out of SHARD_COUNT."""
    raw = env.get(name, "").strip()
    if not raw:
        return None
    ids: set[int] = set()
    for part in raw.split(","):
        first, dash, last = part.strip().partition("-")
        try:
            low = int(first)
            high = int(last) if dash else low
        except ValueError:
            raise ConfigError(
                name, f"'{part.strip()}' is not a shard number or range such as 0-3; write 0-3 or 0,2,5."
            ) from None
        if low < 0 or high < low:
            raise ConfigError(
                name, f"'{part.strip()}' is not a range from a lower to a higher shard number, such as 0-3."
            )
        ids.update(range(low, high + 1))
    if shard_count is None:
        raise ConfigError(name, "needs SHARD_COUNT, the number of shards all processes share between them; set it too.")
    if max(ids) >= shard_count:
        raise ConfigError(
            name, f"names shard {max(ids)}, but SHARD_COUNT is {shard_count} (shards 0 to {shard_count - 1})."
        )
    if database_url is None:
        raise ConfigError(
            name,
            "needs DATABASE_URL: processes that each run a slice of the shards share what servers write in PostgreSQL.",
        )
    return tuple(sorted(ids))


def load_settings(env: Mapping[str, str], *, require_token: bool = True) -> Settings:
    """Build Settings from environment values, or raise ConfigError naming the bad variable."""
    token = env.get("DISCORD_TOKEN", "").strip()
    if require_token and not token:
        raise ConfigError(
            "DISCORD_TOKEN",
            "is not set. Copy .env.example to .env and paste your bot's token "
            "(Discord Developer Portal → your application → Bot → Reset Token).",
        )
    if token and (any(c.isspace() for c in token) or len(token) < 20):
        raise ConfigError("DISCORD_TOKEN", "does not look like a bot token; paste it again without quotes or spaces.")

    level_name = env.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if level_name not in LOG_LEVELS:
        raise ConfigError("LOG_LEVEL", f"'{level_name}' is not one of {', '.join(LOG_LEVELS)}.")

    database = env.get("DATABASE_PATH", "").strip() or "data/pitboard.db"
    database_path = Path(database)
    if not database_path.is_absolute():
        database_path = PROJECT_ROOT / database_path
    if database_path.is_dir():
        raise ConfigError("DATABASE_PATH", f"'{database}' is a folder; give a file path such as data/pitboard.db.")

    shard_count = _optional_int(env, "SHARD_COUNT", "set a number of shards such as 2, or leave it unset.", minimum=1)
    database_url = _database_url(env, "DATABASE_URL")
    return Settings(
        token=Secret(token) if token else None,
        database_path=database_path,
        dev_guild_id=_optional_int(
            env, "DEV_GUILD_ID", "copy your test server's ID (Developer Mode → right-click).", minimum=1
        ),
        log_level=logging.getLevelName(level_name),
        shard_count=shard_count,
        shard_ids=_shard_ids(env, "SHARD_IDS", shard_count, database_url),
        api_base=_optional_url(env, "DISCORD_API_BASE", ("http", "https")),
        gateway_url=_optional_url(env, "DISCORD_GATEWAY_URL", ("ws", "wss")),
        extra_extensions=_module_names(env, "EXTRA_EXTENSIONS"),
        nascar_data_url=_optional_url(env, "NASCAR_DATA_URL", ("https", "http")) or DEFAULT_NASCAR_DATA_URL,
        follow_series=_series_codes(env, "FOLLOW_SERIES"),
        race_feed=_switch(env, "RACE_FEED"),
        nascar_feed_url=_optional_url(env, "NASCAR_FEED_URL", ("https", "http")) or DEFAULT_NASCAR_FEED_URL,
        database_url=database_url,
    )
