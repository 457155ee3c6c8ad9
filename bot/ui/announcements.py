"""The buttons on what Pit Board posts by itself: Results and Recap on a card, Review, Publish and Discard on a draft.

They keep nothing: what they act on travels in their custom_id, so they work on a card posted before a restart.
The posts are made by bot.announce, which has no cog at hand, so a press finds the cog that answers it by name
(the Races cog for a card, the Manage cog for a draft): the same classes are sent and registered (a view sent with
a dynamic item registers its class, so a class made per handler would be replaced by the plain one).
"""

import re
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol, Self, cast, get_args

import discord
from discord.ext import commands

from bot.errors import NotFoundError
from bot.tree import report_error
from bot.ui.replies import RaceButton, StatelessView

DraftAction = Literal["review", "publish", "discard"]
CARDS_COG = "Races"  # the cog answering a card's buttons (cogs.races.Races)
DRAFTS_COG = "Manage"  # the cog answering a draft's buttons (cogs.manage.Manage)


@dataclass(frozen=True, slots=True)
class DraftRef:
    """One draft version of a server's recap of a race, as a notice's buttons name it."""

    guild_id: int
    race_id: int
    version: int


class CardDesk(Protocol):
    """What a card's buttons ask of the cog that answers them."""

    async def card_results(self, interaction: discord.Interaction, race_id: int) -> None:
        """Show the race's finishing order to the person who pressed, privately."""
        ...

    async def card_recap(self, interaction: discord.Interaction, race_id: int) -> None:
        """Show the race's recap to the person who pressed, privately."""
        ...


class DraftDesk(Protocol):
    """What a draft notice's buttons ask of the cog that answers them (it checks the presser is a moderator)."""

    async def draft_pressed(self, interaction: discord.Interaction, action: DraftAction, draft: DraftRef) -> None:
        """Review, publish or discard the draft."""
        ...


def desk(interaction: discord.Interaction, name: str) -> Any:
    """Return the loaded cog named name, which answers a button; say so when it is not loaded."""
    client = interaction.client
    cog = client.get_cog(name) if isinstance(client, commands.Bot | commands.AutoShardedBot) else None
    if cog is None:
        raise NotFoundError("This button does not work right now; try again in a minute.")
    return cog


class CardResultsButton(RaceButton, action="card-results"):
    """'Results' on a card: the finishing order, privately."""

    label = "Results"
    style = discord.ButtonStyle.primary

    async def press(self, interaction: discord.Interaction) -> None:
        """Have the cards' cog show the results."""
        await cast("CardDesk", desk(interaction, CARDS_COG)).card_results(interaction, self.race_id)


class CardRecapButton(RaceButton, action="card-recap"):
    """'Recap' on a card: the recap, privately."""

    label = "Recap"

    async def press(self, interaction: discord.Interaction) -> None:
        """Have the cards' cog show the recap."""
        await cast("CardDesk", desk(interaction, CARDS_COG)).card_recap(interaction, self.race_id)


def card_view(race_id: int) -> StatelessView:
    """Return the buttons under a "results are in" card."""
    return StatelessView(CardResultsButton(race_id), CardRecapButton(race_id))


class DraftButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"pitboard:draft-(?P<action>review|publish|discard):(?P<guild>[0-9]+):(?P<race>[0-9]+):(?P<version>[0-9]+)",
):
    """Review, Publish or Discard on a draft notice; its custom_id names the server, the race and the version."""

    LOOKS: ClassVar[dict[str, tuple[str, discord.ButtonStyle]]] = {
        "review": ("Review", discord.ButtonStyle.primary),
        "publish": ("Publish", discord.ButtonStyle.success),
        "discard": ("Discard", discord.ButtonStyle.danger),
    }

    def __init__(self, action: DraftAction, draft: DraftRef) -> None:
        label, style = self.LOOKS[action]
        custom_id = f"pitboard:draft-{action}:{draft.guild_id}:{draft.race_id}:{draft.version}"
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=custom_id))
        self.action: DraftAction = action
        self.draft = draft

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        """Return the button pressed, for the draft its custom_id names."""
        action = cast("DraftAction", match["action"])  # the template admits only the three actions
        return cls(action, DraftRef(int(match["guild"]), int(match["race"]), int(match["version"])))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Have the drafts' cog act, sending errors down the path every command and view shares."""
        try:
            await cast("DraftDesk", desk(interaction, DRAFTS_COG)).draft_pressed(interaction, self.action, self.draft)
        except Exception as error:
            await report_error(interaction, error, where=f"draft {self.action} button")


def draft_view(draft: DraftRef) -> StatelessView:
    """Return Review, Publish and Discard for a draft notice."""
    return StatelessView(*(DraftButton(action, draft) for action in get_args(DraftAction)))


# The classes discord.py must know to answer presses on what Pit Board posts (each cog registers its own).
CARD_BUTTONS: tuple[type[RaceButton], ...] = (CardResultsButton, CardRecapButton)
DRAFT_BUTTONS: tuple[type[DraftButton], ...] = (DraftButton,)
