"""Replies and their buttons: public answers with mentions off, owned views, and buttons that keep nothing."""

import logging
import re
from dataclasses import dataclass
from typing import Any, ClassVar, Self, cast

import discord

from bot.tree import NO_MENTIONS, View, reply_private, report_error
from bot.ui.expiry import VIEW_TIMEOUT, turn_off_later

log = logging.getLogger(__name__)


async def is_owner(interaction: discord.Interaction, owner_id: int, command: str) -> bool:
    """Return whether the person pressing is the one who asked; anyone else gets a private hint."""
    if interaction.user.id == owner_id:
        return True
    try:
        await reply_private(interaction, f"These buttons belong to whoever asked. Run /{command} to get your own.")
    except discord.HTTPException:
        log.info("Could not send the owner hint for interaction %s", interaction.id)
    return False


class Served:
    """A button class whose presses are answered by a handler handed to it, not looked up.

    A cog builds its buttons' classes with serving(itself) (or a service it was given), registers those with
    add_dynamic_items and builds its replies with them, so whatever discord.py makes from a pressed message's
    custom_id has the handler at hand.
    """

    handler: ClassVar[Any]

    @classmethod
    def serving(cls, handler: Any) -> type[Self]:
        """Return this class answering through handler."""
        served = type(cls.__name__, (cls,), {"handler": handler, "__module__": cls.__module__})
        return cast("type[Self]", served)


class ReplyView(View):
    """A view on a public reply; its buttons are turned off when they expire (bot.ui.expiry).

    discord.py forgets the view when it times out; the reply's buttons are turned off by the bot's ButtonTimers,
    which keep only where the reply is rather than the interaction that sent it.
    """

    def __init__(self, *, timeout: float | None = VIEW_TIMEOUT) -> None:
        super().__init__(timeout=timeout)

    def sent(self, interaction: discord.Interaction, message_id: int | None) -> None:
        """Have the buttons turned off when they expire."""
        turn_off_later(interaction, message_id)


class RaceButton(
    Served,
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"pitboard:race:(?P<race>[0-9]+)",
):
    """A button about one race that keeps nothing but the race id, which travels in its custom_id.

    discord.py rebuilds it from the custom_id of whatever message is pressed, so no view is kept per message and
    the button works across restarts. A subclass names its action (custom_id 'pitboard:<action>:<race id>'), its
    look, and press().
    """

    action: ClassVar[str]
    label: ClassVar[str]
    style: ClassVar[discord.ButtonStyle] = discord.ButtonStyle.secondary
    emoji: ClassVar[str | None] = None
    button_row: ClassVar[int | None] = None  # not `row`: DynamicItem.row is the rendered row

    def __init_subclass__(cls, *, action: str | None = None, **kwargs: Any) -> None:
        action = action or cls.action  # a class made by serving() keeps its parent's action
        super().__init_subclass__(template=rf"pitboard:{action}:(?P<race>[0-9]+)", **kwargs)
        cls.action = action

    def __init__(self, race_id: int) -> None:
        button: discord.ui.Button[discord.ui.View] = discord.ui.Button(
            label=self.label, style=self.style, emoji=self.emoji, custom_id=f"pitboard:{self.action}:{race_id}"
        )
        super().__init__(button, row=self.button_row)
        self.race_id = race_id

    @property
    def disabled(self) -> bool:
        """Return whether the button is turned off (when the paged reply it is part of expires)."""
        return self.item.disabled

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        """Return the button pressed, for the race its custom_id names."""
        return cls(int(match["race"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Run press(), sending errors down the path every command and view shares.

        discord.py only logs what a dynamic item's callback raises: the user would get "interaction failed".
        """
        try:
            await self.press(interaction)
        except Exception as error:
            await report_error(interaction, error, where=f"{type(self).__name__} button")

    async def press(self, interaction: discord.Interaction) -> None:
        """Answer whoever pressed the button."""
        raise NotImplementedError


class StatelessView(ReplyView):
    """A reply view made only of dynamic items (RaceButtons, PageButtons): discord.py keeps nothing for it."""

    def __init__(self, *buttons: discord.ui.DynamicItem[Any]) -> None:
        super().__init__(timeout=None)
        for button in buttons:
            self.add_item(button)

    def sent(self, interaction: discord.Interaction, message_id: int | None) -> None:
        """Keep nothing: the buttons carry what they need."""


class OwnedView(ReplyView):
    """A reply view only the person who asked may use; anyone else gets a private hint."""

    def __init__(self, *, owner_id: int, command: str) -> None:
        super().__init__()
        self.owner_id = owner_id
        self.command = command

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Let only the owner press the buttons."""
        return await is_owner(interaction, self.owner_id, self.command)


@dataclass(slots=True)
class Reply:
    """What a command answers with: one embed and maybe buttons."""

    embed: discord.Embed
    view: ReplyView | None = None


async def send_reply(interaction: discord.Interaction, reply: Reply) -> None:
    """Answer publicly with mentions off, then tell the view where it was sent (to turn its buttons off later)."""
    if reply.view is None:
        await interaction.response.send_message(embed=reply.embed, allowed_mentions=NO_MENTIONS)
        return
    response = await interaction.response.send_message(embed=reply.embed, view=reply.view, allowed_mentions=NO_MENTIONS)
    reply.view.sent(interaction, response.message_id)
