"""The offline preview: run a fan command as typed in Discord against the store, and print the reply as text."""

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TextIO, cast

import discord
from discord import app_commands

from bot.client import PitBoard
from bot.config import Settings
from bot.errors import BadInputError, UserFacingError
from bot.store import Store
from bot.ui.options import resolve_options
from bot.ui.paging import PagedView
from bot.ui.replies import ReplyView

PREVIEW_USER_ID = 1  # the person "asking" in a preview; paging is theirs
_TIMESTAMP = re.compile(r"<t:(-?\d+)(?::([tTdDfFR]))?>")
_COMMAND_MENTION = re.compile(r"</([\w -]+):\d+>")
_USER_MENTION = re.compile(r"<@!?(\d+)>")
_LINK = re.compile(r"\[([^\]]+)\]\((\S+?)\)")


class PictureNotWrittenError(Exception):
    """The --out file cannot be written; a command-line error (exit status 2), not a reply."""


@dataclass(slots=True)
class Sent:
    """One message the command sent (or edited)."""

    content: str | None
    embed: discord.Embed | None
    view: discord.ui.View | None
    ephemeral: bool
    files: tuple[discord.File, ...] = ()


@dataclass(frozen=True, slots=True)
class _Callback:
    """Stands in for discord.InteractionCallbackResponse: nothing was posted, so there is no message."""

    message_id: int | None = None


class _Response:
    """Stands in for discord.InteractionResponse, keeping what would be sent."""

    def __init__(self, sent: list[Sent]) -> None:
        self._sent = sent
        self._done = False

    def is_done(self) -> bool:
        """Return whether the interaction was answered."""
        return self._done

    async def send_message(
        self,
        content: str | None = None,
        *,
        embed: discord.Embed | None = None,
        view: discord.ui.View | None = None,
        ephemeral: bool = False,
        file: discord.File | None = None,
        **_: Any,
    ) -> _Callback:
        """Keep the message instead of sending it."""
        self._done = True
        self._sent.append(Sent(content, embed, view, ephemeral, (file,) if file else ()))
        return _Callback()

    async def defer(self, **_: Any) -> None:
        """Note that an answer will follow."""
        self._done = True

    async def edit_message(
        self,
        *,
        content: str | None = None,
        embed: discord.Embed | None = None,
        view: discord.ui.View | None = None,
        **_: Any,
    ) -> None:
        """Keep the edited message."""
        self._done = True
        self._sent.append(Sent(content, embed, view, ephemeral=False))


class _Followup:
    """Stands in for the interaction's follow-up webhook."""

    def __init__(self, sent: list[Sent]) -> None:
        self._sent = sent

    async def send(
        self,
        content: str | None = None,
        *,
        embed: discord.Embed | None = None,
        view: discord.ui.View | None = None,
        ephemeral: bool = False,
        file: discord.File | None = None,
        **_: Any,
    ) -> None:
        """Keep the follow-up instead of sending it."""
        self._sent.append(Sent(content, embed, view, ephemeral, (file,) if file else ()))


class PreviewInteraction:
    """Just enough of a discord.Interaction for the fan commands: a direct message from one user, offline."""

    def __init__(self, client: discord.Client, command: app_commands.Command[Any, ..., Any]) -> None:
        self.sent: list[Sent] = []
        self.client = client
        self.command = command
        self.id = 0
        self.user = discord.Object(id=PREVIEW_USER_ID)
        self.guild_id: int | None = None  # a DM: shared races only, no server's published recap
        self.guild: discord.Guild | None = None
        self.channel_id: int | None = None
        self.locale = discord.Locale.american_english
        self.response = _Response(self.sent)
        self.followup = _Followup(self.sent)
        self.namespace = SimpleNamespace()  # the options as typed, which a driver option reads its race from

    async def edit_original_response(self, **_: Any) -> None:
        """Accept the edit a view makes when it times out."""


# --- parsing "/cmd opt:value opt2:'quoted value'" ------------------------------------------------------------


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def split_options(text: str, names: list[str]) -> tuple[str, dict[str, str]]:
    """Split 'race:Homestead 2025 top:5' into leading text and {option: value}; values may hold spaces."""
    if not names:
        return text.strip(), {}
    marker = re.compile(r"(?:^|\s)(" + "|".join(re.escape(n) for n in names) + r"):")
    matches = list(marker.finditer(text))
    leading = text[: matches[0].start()] if matches else text
    options: dict[str, str] = {}
    for n, match in enumerate(matches):
        end = matches[n + 1].start() if n + 1 < len(matches) else len(text)
        options[match[1]] = _unquote(text[match.end() : end])
    return leading.strip(), options


def _convert(parameter: app_commands.Parameter, raw: str, command: str) -> object:
    """Turn the typed text into the value Discord would pass, with Discord's own checks."""
    name, kind = parameter.display_name, parameter.type
    if parameter.choices:
        for choice in parameter.choices:
            if raw in (choice.name, str(choice.value)):
                return choice.value
        allowed = ", ".join(c.name for c in parameter.choices)
        raise BadInputError(f"{name}: must be one of {allowed}.")
    value: object = raw
    if kind is discord.AppCommandOptionType.integer:
        try:
            value = int(raw)
        except ValueError:
            raise BadInputError(f"{name}: '{raw}' is not a whole number.") from None
    elif kind is discord.AppCommandOptionType.number:
        try:
            value = float(raw)
        except ValueError:
            raise BadInputError(f"{name}: '{raw}' is not a number.") from None
    elif kind is not discord.AppCommandOptionType.string:
        raise BadInputError(f"/{command} takes a {kind.name} as {name}, which the preview cannot supply.")
    size = len(raw) if kind is discord.AppCommandOptionType.string else value
    low, high = parameter.min_value, parameter.max_value
    assert isinstance(size, int | float)  # int, float or len() by the branches above
    if (low is not None and size < low) or (high is not None and size > high):
        what = "long" if kind is discord.AppCommandOptionType.string else ""
        raise BadInputError(f"{name}: must be between {low} and {high}{' characters ' + what if what else ''}.")
    return value


def parse(text: str, commands: Mapping[str, app_commands.Command[Any, ..., Any]]) -> tuple[str, dict[str, object]]:
    """Return the command name and the callback's keyword arguments for a line as typed in Discord."""
    line = text.strip()
    name, _, rest = line.removeprefix("/").partition(" ")
    command = commands.get(name.lower())
    if command is None:
        raise BadInputError(f"No fan command /{name}. Try one of: {', '.join('/' + n for n in sorted(commands))}.")
    parameters = {p.display_name: p for p in command.parameters}
    leading, typed = split_options(rest, list(parameters))
    if leading:
        stray = re.match(r"^(\w+):", leading)
        if stray:
            raise BadInputError(f"/{name} has no option '{stray[1]}'. Its options: {', '.join(parameters) or 'none'}.")
        # Bare text fills the one option a command must have (/driver larson), or its only option.
        required = [d for d, p in parameters.items() if p.required] or list(parameters)
        if len(required) != 1:
            raise BadInputError(f"Write options as name:value, e.g. /{name} {next(iter(parameters), 'option')}:…")
        typed = {required[0]: _unquote(leading), **typed}
    kwargs: dict[str, object] = {}
    for display, parameter in parameters.items():
        if display in typed:
            kwargs[parameter.name] = _convert(parameter, typed[display], name)
        elif parameter.required:
            raise BadInputError(f"/{name} needs {display}:, e.g. /{name} {display}:…")
    return command.name, kwargs


# --- printing ------------------------------------------------------------------------------------------------


def readable(text: str) -> str:
    """Turn Discord markup into plain text: timestamps as dates, mentions as names, links spelled out."""

    def timestamp(match: re.Match[str]) -> str:
        moment = dt.datetime.fromtimestamp(int(match[1]), dt.UTC)
        return f"{moment:%B} {moment.day}, {moment.year}"

    text = _TIMESTAMP.sub(timestamp, text)
    text = _COMMAND_MENTION.sub(r"/\1", text)
    text = _USER_MENTION.sub("@someone", text)
    text = _LINK.sub(lambda m: m[1] if m[1] == m[2] else f"{m[1]} ({m[2]})", text)
    return text.replace("**", "").replace("||", "")


def _buttons(view: discord.ui.View) -> str:
    labels = []
    for child in view.children:
        item = child.item if isinstance(child, discord.ui.DynamicItem) else child
        if isinstance(item, discord.ui.Button):
            labels.append(f"[{item.label}]" + (" (off)" if item.disabled else ""))
    return "  ".join(labels)


def describe(embed: discord.Embed, view: discord.ui.View | None = None) -> str:
    """Return an embed (and its buttons) as readable text."""
    lines: list[str] = []
    if embed.title:
        title = readable(embed.title)
        lines += [title, "=" * min(len(title), 78)]
    if embed.url:
        lines.append(f"link: {embed.url}")
    if embed.description:
        lines.append(readable(embed.description).strip())
    if embed.fields:
        lines.append("")
    for field in embed.fields:
        lines.append(f"{readable(field.name or '')}:")
        lines += [f"  {line}" for line in readable(field.value or "").splitlines()]
    if embed.footer.text:
        lines += ["", f"-- {readable(embed.footer.text)}"]
    if view is not None and view.children:
        lines.append(f"buttons: {_buttons(view)}")
    return "\n".join(lines).strip()


def page_of(sent: Sent, page: int) -> tuple[discord.Embed, discord.ui.View | None]:
    """Return the embed on the requested page of a reply, turning its pager as a user would."""
    assert sent.embed is not None  # replies with text only are printed before paging
    view = sent.view
    if isinstance(view, PagedView):
        if not 1 <= page <= len(view.pages):
            raise BadInputError(f"This reply has {len(view.pages)} pages; --page {page} is not one of them.")
        return view.turn_to(page - 1), view
    if page != 1:
        raise BadInputError(f"This reply has one page; --page {page} is not one of them.")
    return sent.embed, view


def check_picture_path(image: Path) -> None:
    """Refuse an --out path that cannot take a file before the command runs (its write is checked too)."""
    if image.is_dir():
        raise PictureNotWrittenError(f"Cannot write --out {image}: it is a folder; give a file name such as chart.png.")
    if not image.parent.is_dir():
        raise PictureNotWrittenError(f"Cannot write --out {image}: there is no folder {image.parent}.")


def picture_line(sent: Sent, image: Path | None) -> str:
    """Write the reply's attached picture to image, if given; return a line naming the picture ('' if none)."""
    if image is None:
        return f"picture: {sent.files[0].filename} (write it with --out FILE.png)" if sent.files else ""
    if not sent.files:
        raise BadInputError("This reply has no picture to write to --out.")
    picture = sent.files[0]
    picture.reset()
    try:
        image.write_bytes(picture.fp.read())
    except OSError as error:
        raise PictureNotWrittenError(f"Cannot write --out {image}: {error.strerror or error}.") from error
    return f"picture: {picture.filename}, written to {image}"


async def answer(bot: PitBoard, text: str, *, page: int = 1, image: Path | None = None) -> tuple[str, bool]:
    """Run a fan command line against the loaded cogs; return the reply as text and whether it was public.

    With image, the reply's picture (a /chart's) is written to that file.
    """
    commands = {
        c.name: c
        for c in bot.tree.get_commands(type=discord.AppCommandType.chat_input)
        if isinstance(c, app_commands.Command) and c.default_permissions is None
    }
    try:
        name, kwargs = parse(text, commands)
        command = commands[name]
        interaction = PreviewInteraction(bot, command)
        interaction.namespace = SimpleNamespace(**kwargs)
        assert command.binding is not None  # every fan command belongs to a cog, which binds it when added
        asked = cast(discord.Interaction, interaction)
        await command.callback(command.binding, asked, **await resolve_options(command, asked, kwargs))
        if not interaction.sent:
            return f"/{name} sent nothing.", False
        sent = interaction.sent[0]
        if sent.ephemeral or sent.embed is None:
            return f"(only you would see this) {readable(sent.content or '')}", not sent.ephemeral
        embed, view = page_of(sent, page)
        picture = picture_line(sent, image)
    except UserFacingError as error:
        # What the command tree would answer privately.
        return f"(only you would see this) {error}", False
    if isinstance(view, ReplyView):
        view.stop()  # no timeout task runs offline, but leave nothing pending
    return describe(embed, view) + (f"\n{picture}" if picture else ""), True


async def run(settings: Settings, store: Store, text: str, *, page: int, out: TextIO, image: Path | None = None) -> int:
    """Print the reply to one command line (writing its picture to image, if given); 0 if public, 1 if private."""
    async with PitBoard(settings=settings, store=store) as bot:
        for extension in bot.initial_extensions:
            await bot.load_extension(extension)
        reply, public = await answer(bot, text, page=page, image=image)
    out.write(reply + "\n")
    return 0 if public else 1
