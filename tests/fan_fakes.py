"""Spec'd fakes of discord.py objects for calling the fan commands directly, with no network."""

import inspect
import random
from types import SimpleNamespace
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord
from discord import app_commands

from bot.catalog import Catalog
from bot.charts.service import ChartService
from bot.facts.spoilers import SpoilerPolicy
from bot.store import Store
from bot.ui.charts import ChartReplies
from bot.ui.embeds.quotes import QuoteView
from bot.ui.options import resolve_options, transformer_of
from bot.ui.paging import PagedView
from bot.ui.replies import ReplyView
from cogs.races import Races

USER_ID = 100
OTHER_USER_ID = 200


def make_interaction(*, user_id: int = USER_ID, guild_id: int | None = None, **namespace: Any) -> MagicMock:
    """Return a fake Interaction whose replies are AsyncMocks; namespace holds options typed so far."""
    interaction = MagicMock(spec=discord.Interaction)
    interaction.user = MagicMock(spec=discord.Member)
    interaction.user.id = user_id
    interaction.guild_id = guild_id
    interaction.namespace = SimpleNamespace(**namespace)
    response = MagicMock(spec=discord.InteractionResponse)
    response.send_message = AsyncMock()
    response.edit_message = AsyncMock()
    response.is_done = MagicMock(return_value=False)

    async def defer(**_: Any) -> None:
        response.is_done.return_value = True  # what follows goes as a follow-up, as with Discord

    response.defer = AsyncMock(side_effect=defer)
    interaction.response = response
    interaction.followup = MagicMock(spec=discord.Webhook)
    interaction.followup.send = AsyncMock()
    interaction.edit_original_response = AsyncMock()
    return interaction


def sent(interaction: MagicMock) -> dict[str, Any]:
    """Return the keyword arguments of the one message the command sent."""
    interaction.response.send_message.assert_awaited_once()
    return interaction.response.send_message.await_args.kwargs


def embed_of(interaction: MagicMock) -> discord.Embed:
    """Return the embed of the one public reply, checking it is public and mentions nothing."""
    kwargs = sent(interaction)
    assert not kwargs.get("ephemeral", False)
    mentions = kwargs["allowed_mentions"]
    assert (mentions.everyone, mentions.users, mentions.roles, mentions.replied_user) == (False, False, False, False)
    return kwargs["embed"]


def view_of(interaction: MagicMock) -> ReplyView | None:
    """Return the buttons of the one reply, if any."""
    return sent(interaction).get("view")


def paged_view(interaction: MagicMock) -> PagedView:
    """Return the pager of the one reply."""
    view = view_of(interaction)
    assert isinstance(view, PagedView)
    return view


def quote_view(interaction: MagicMock) -> QuoteView:
    """Return the 'Another' view of the one reply."""
    view = view_of(interaction)
    assert isinstance(view, QuoteView)
    return view


def lines(embed: discord.Embed) -> list[str]:
    """Return an embed's description, line by line."""
    return (embed.description or "").splitlines()


def fields(embed: discord.Embed) -> dict[str, str]:
    """Return an embed's fields by name."""
    return {f.name or "": f.value or "" for f in embed.fields}


def everything(embed: discord.Embed) -> str:
    """Return an embed's title, description and fields ('name: value') as one string."""
    parts = [embed.title or "", embed.description or ""]
    parts += [f"{f.name}: {f.value}" for f in embed.fields]
    return "\n".join(parts)


def text_of(embed: discord.Embed) -> str:
    """Return everything a reader sees in an embed, as one string."""
    parts = [embed.title or "", embed.description or ""]
    parts += [f"{f.name}\n{f.value}" for f in embed.fields]
    parts.append(embed.footer.text or "")
    return "\n".join(parts)


def catalog(store: Store) -> Catalog:
    """Return a fresh catalog over the store."""
    return Catalog(store)


def pressing(user_id: int = USER_ID, guild_id: int | None = None) -> MagicMock:
    """Return a fake button press (the buttons carry the cog that answers them)."""
    return make_interaction(user_id=user_id, guild_id=guild_id)


async def invoke(command: app_commands.Command, interaction: MagicMock, **typed: Any) -> None:
    """Run a command as Discord would: typed race, driver, series and track options are resolved first."""
    interaction.command = command
    interaction.namespace = SimpleNamespace(**{**vars(interaction.namespace), **typed})
    await command.callback(command.binding, interaction, **await resolve_options(command, interaction, typed))


async def suggest(
    command: app_commands.Command, option: str, interaction: MagicMock, typed: str
) -> list[app_commands.Choice]:
    """Return the autocomplete choices the option offers for what is typed, as Discord would ask for them."""
    interaction.command = command
    transformer = transformer_of(inspect.signature(command.callback).parameters[option].annotation)
    assert transformer is not None, f"{option} has no autocomplete"
    return await transformer.autocomplete(interaction, typed)


def chart_replies(store: Store, catalog: Catalog, spoilers: SpoilerPolicy | None = None) -> ChartReplies:
    """Return the chart replies the bot hands its cogs, over this store and catalog."""
    return ChartReplies(ChartService(store, catalog), catalog, spoilers or SpoilerPolicy(catalog.guild_settings))


def races_cog(
    store: Store,
    *,
    catalog: Catalog | None = None,
    spoilers: SpoilerPolicy | None = None,
    rng: random.Random | None = None,
) -> Races:
    """Return the Races cog as the bot builds it, over this store."""
    catalog = catalog or Catalog(store)
    spoilers = spoilers or SpoilerPolicy(catalog.guild_settings)
    return Races(catalog, spoilers, chart_replies(store, catalog, spoilers), rng=rng)
