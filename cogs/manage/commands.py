"""Moderator commands under /manage: settings, recaps, quotes, results and the audit log."""

import asyncio
import datetime as dt
import urllib.parse
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalog import Catalog, RaceData
from bot.errors import BadInputError, NotFoundError
from bot.names import name_key
from bot.notify import bot_problem, role_problem
from bot.racefiles import cell_problem, parse_results
from bot.series import BY_CODE, FAMILIES
from bot.store import ResultsRefusedError, Store
from bot.store.models import Quote, Race, RaceSummary, RecapVersion
from bot.tree import NotAllowedError, reply_private
from bot.ui.announcements import DRAFT_BUTTONS, DraftAction, DraftButton, DraftRef
from bot.ui.embeds.coverage import data_status_embed
from bot.ui.limits import CHOICE_NAME_MAX, CHOICE_VALUE_MAX, CHOICES_MAX, clip, fit, new_embed
from bot.ui.options import NewSeriesOption, RaceOption
from bot.ui.text import plain, timestamp
from cogs.manage.publishing import (
    RecapPublisher,
    check_channel_choice,
    provisional_warning,
)
from cogs.manage.raceday import YesNo, change_race_day, race_day_text
from cogs.manage.views import QuoteModal, RecapModal, RecapPreview

MAX_UPLOAD_BYTES = 1_000_000
MAX_UPLOAD_ROWS = 250
ERRORS_SHOWN = 20
REFUSAL = (
    "Only moderators can use /manage: members with Manage Server, "
    "or with the moderator role this server set in /manage settings mod-role."
)

RaceChoice = app_commands.Transform[RaceSummary, RaceOption]
ALL_SERIES = "all"
SERIES_CHOICES = [
    app_commands.Choice(name="Every series Pit Board follows", value=ALL_SERIES),
    *(app_commands.Choice(name=family.name, value=family.code) for family in FAMILIES),
]
STOPPED = {"results": "Results cards", "mod-notice": "Notices in the moderators' channel", "pre-race": "Pre-race cards"}


def _guild(interaction: discord.Interaction) -> discord.Guild:
    assert interaction.guild is not None  # every /manage command is guild_only and checked
    return interaction.guild


def _moderator(interaction: discord.Interaction) -> discord.Member:
    assert isinstance(interaction.user, discord.Member)  # Manage.interaction_check refuses anyone else
    return interaction.user


def _require_manage_server(interaction: discord.Interaction, what: str) -> None:
    """Refuse anyone without Manage Server: the moderator role must not be able to hand out or widen itself."""
    if not interaction.permissions.manage_guild:
        raise NotAllowedError(f"Only members with Manage Server can change {what}. Nothing was changed.")


def _is_pit_board(interaction: discord.Interaction, user_id: int) -> bool:
    """Return whether user_id is Pit Board's own (the author of the drafts it saves when it announces a race)."""
    me = interaction.client.user
    return me is not None and me.id == user_id


def _series_names(codes: tuple[str, ...]) -> str:
    return ", ".join(BY_CODE[code].name if code in BY_CODE else code for code in codes) or "none"


def _notify_state(guild: discord.Guild, allowed: bool, ping_role_id: int | None) -> str:
    """Return how /notify stands, for /manage settings show: off, on, or on but refused until something is fixed."""
    if not allowed:
        return "off: fans can't take the ping role themselves"
    role = guild.get_role(ping_role_id) if ping_role_id is not None else None
    if role is None:
        return "on, but there is no ping role to give: choose one with `/manage settings ping-role`"
    if problem := role_problem(role, guild.me) or bot_problem(guild.me):
        return f"on, but refused until fixed: {problem}"
    return f"on: fans take {role.mention} with `/notify on` and drop it with `/notify off`"


def _quote_choice_name(quote: Quote) -> str:
    """Return how a quote is offered in the quote_id list: its number, speaker, first words and race."""
    words = " ".join(quote.text.split()[:6])
    if len(quote.text.split()) > 6:
        words += "…"
    return clip(f'#{quote.id} {quote.speaker}: "{words}" · {quote.race_label}', CHOICE_NAME_MAX)


def _check_typed(nothing_done: str, **options: str | None) -> None:
    """Refuse option text holding control or invisible direction characters, as an upload's cells are refused.

    What a moderator types here is stored and shown to fans: a right-to-left override would turn the text after it
    backwards, and a control character is nothing anyone meant to type (bot.racefiles.cell_problem is the rule).
    """
    for name, value in options.items():
        if value is not None and (problem := cell_problem(f"The {name} option", value)):
            raise BadInputError(f"{problem}. {nothing_done}")


def _https_url(text: str) -> str:
    """Return text if it is a plain https link, else raise BadInputError."""
    url = text.strip()
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https" or not parts.netloc or any(c.isspace() for c in url) or len(url) > 500:
        raise BadInputError("The source must be a single https:// link to where the quote was published.")
    return url


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Manage(commands.GroupCog, group_name="manage", group_description="Moderator tools for Pit Board"):
    """Moderator commands; each one checks the member's rights when it runs."""

    settings = app_commands.Group(name="settings", description="This server's Pit Board settings")
    recap = app_commands.Group(name="recap", description="Write, preview, publish and revise race recaps")
    quote = app_commands.Group(name="quote", description="Add or remove this server's quotes")
    results = app_commands.Group(name="results", description="Upload, confirm and correct race results")

    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        publisher: RecapPublisher,
        *,
        follow_series: tuple[str, ...] = (),
        race_feed: bool = False,
    ) -> None:
        self.store = store  # what moderators write goes here; race data is read through the catalog
        self.catalog = catalog
        self.publisher = publisher
        self.follow_series = follow_series  # the series the bot keeps current (FOLLOW_SERIES), announced from
        self.race_feed = race_feed  # RACE_FEED: race-day posts need NASCAR's feed

    @property
    def dynamic_items(self) -> tuple[type[DraftButton], ...]:
        """Return the buttons discord.py must know for the draft notices bot.announce posts (they find this cog)."""
        return DRAFT_BUTTONS

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Refuse anyone who is not a moderator here, whatever Discord's menu showed them."""
        if interaction.guild is None or not isinstance(interaction.user, discord.Member):
            raise NotAllowedError("Moderator commands work only inside a server.")
        if await self._is_moderator(interaction):
            return True
        raise NotAllowedError(REFUSAL)

    async def _is_moderator(self, interaction: discord.Interaction) -> bool:
        """Return whether the member has Manage Server or this server's moderator role, as of this interaction."""
        if interaction.guild is None or not isinstance(interaction.user, discord.Member):
            return False
        if interaction.permissions.manage_guild:
            return True
        settings = await self.catalog.guild_settings(interaction.guild.id)
        return settings.mod_role_id is not None and interaction.user.get_role(settings.mod_role_id) is not None

    # --- what the forms and the preview do (cogs.manage.views.ModeratorDesk) -----------------------------------

    async def _race(self, interaction: discord.Interaction, race: RaceSummary | None) -> RaceData:
        chosen = race or await self.catalog.race(_guild(interaction).id, None)
        return await self.catalog.race_data(chosen.id)

    async def save_recap(
        self, interaction: discord.Interaction, data: RaceData, headline: str, body: str, *, edit: bool
    ) -> None:
        """Save what the form holds as a new version, then show its private preview."""
        guild = _guild(interaction)
        version = await self.store.add_recap_version(
            guild.id, data.race.id, headline=headline, body=body, author_id=interaction.user.id
        )
        embed = await self.publisher.post_embed(guild.id, data, version)
        warning = provisional_warning(data.race)
        content = f"Saved as version {version.version}. {warning}This is exactly how it will be posted:"
        view = RecapPreview(self, data, version, interaction.user.id)
        if edit:
            await interaction.response.edit_message(content=content, embed=embed, view=view)
        else:
            await reply_private(interaction, content, embed=embed, view=view)

    async def publish_from_preview(
        self, interaction: discord.Interaction, data: RaceData, version: RecapVersion
    ) -> str:
        """Publish a previewed version to the recap channel, without thread or ping."""
        return await self.publisher.publish(interaction, data, version, None, thread=False, ping=False)

    async def discard_version(self, interaction: discord.Interaction, race: Race, version: RecapVersion) -> bool:
        """Mark a draft discarded; return False if it was published already."""
        return await self.store.discard_recap_version(
            _guild(interaction).id, race.id, version.version, interaction.user.id
        )

    # --- /manage settings ---------------------------------------------------------------------------------

    @settings.command(name="show")
    async def settings_show(self, interaction: discord.Interaction) -> None:
        """Show this server's Pit Board settings."""
        guild_id = _guild(interaction).id
        # Asked together: on PostgreSQL each is a round trip, and none depends on another.
        current, series, race_day, stops = await asyncio.gather(
            self.catalog.guild_settings(guild_id),
            self._series_text(guild_id),
            self.store.race_day_settings(guild_id),
            self.store.post_stops(guild_id),
        )

        def shown(value: int | None, mention: str) -> str:
            return mention.format(value) if value is not None else "not set"

        embed = new_embed("Pit Board settings")
        embed.add_field(name="Recap channel", value=shown(current.recap_channel_id, "<#{}>"))
        embed.add_field(name="Moderator role", value=shown(current.mod_role_id, "<@&{}>"))
        embed.add_field(name="Ping role", value=shown(current.ping_role_id, "<@&{}>"))
        hours = current.spoiler_hours
        embed.add_field(name="Spoiler-safe mode", value=f"{hours} hours after each race" if hours else "off")
        embed.add_field(name="Moderators' channel", value=shown(current.mod_channel_id, "<#{}>"))
        notify = _notify_state(_guild(interaction), current.notify, current.ping_role_id)
        embed.add_field(name="Fans' /notify", value=notify, inline=False)
        since = f" (since {timestamp(current.announce_since, 'D')})" if current.announce_since else ""
        embed.add_field(name="Announcements", value=f"on{since}" if current.announce else "off")
        embed.add_field(name="Series announced", value=series, inline=False)
        embed.add_field(name="Race-day posts", value=race_day_text(race_day, current), inline=False)
        for stop in stops:
            embed.add_field(
                name=f"Stopped: {STOPPED.get(stop.kind, stop.kind)}", value=plain(stop.reason), inline=False
            )
        await reply_private(interaction, embed=fit(embed))

    async def _series_text(self, guild_id: int) -> str:
        """Return which series this server's announcements cover, saying which of them the bot does not follow."""
        chosen = await self.store.followed_series(guild_id)
        if not chosen:
            return f"every series Pit Board follows ({_series_names(self.follow_series)})"
        text = _series_names(chosen)
        if unfollowed := tuple(code for code in chosen if code not in self.follow_series):
            text += f"; Pit Board does not follow {_series_names(unfollowed)} right now, so none of it is announced"
        return text

    async def _set(self, interaction: discord.Interaction, setting: str, value: int | None, said: str) -> None:
        guild = _guild(interaction)
        await self.store.update_guild_settings(guild.id, interaction.user.id, setting=setting, value=value, detail=said)
        await reply_private(interaction, f"Done: {said}.")

    @settings.command(name="recap-channel")
    @app_commands.describe(channel="Where published recaps are posted")
    async def settings_recap_channel(self, interaction: discord.Interaction, channel: discord.TextChannel) -> None:
        """Choose the channel recaps are published in."""
        check_channel_choice(channel, _guild(interaction).me, _moderator(interaction), thread=True)
        await self._set(interaction, "recap_channel_id", channel.id, f"recap channel set to #{channel.name}")

    @settings.command(name="mod-role")
    @app_commands.describe(role="Members with this role may use /manage; leave empty to clear")
    async def settings_mod_role(self, interaction: discord.Interaction, role: discord.Role | None = None) -> None:
        """Choose the role that may use /manage besides Manage Server."""
        _require_manage_server(interaction, "the moderator role")
        if role is not None and role.is_default():
            raise BadInputError("@everyone can't be the moderator role. Nothing was changed.")
        said = f"moderator role set to @{role.name}" if role else "moderator role cleared"
        await self._set(interaction, "mod_role_id", role.id if role else None, said)

    @settings.command(name="ping-role")
    @app_commands.describe(role="The role a recap may ping when published with ping; leave empty to clear")
    async def settings_ping_role(self, interaction: discord.Interaction, role: discord.Role | None = None) -> None:
        """Choose the role pinged when a recap is published with ping."""
        _require_manage_server(interaction, "the ping role")
        if role is not None and role.is_default():
            raise BadInputError("Pit Board never pings @everyone; choose a role fans opt into. Nothing was changed.")
        guild = _guild(interaction)
        notify_on = (await self.catalog.guild_settings(guild.id)).notify
        if role is not None and notify_on and (problem := role_problem(role, guild.me)):
            raise BadInputError(
                f"Fans take the ping role themselves here with /notify, so it must be safe to hand out. {problem} "
                "Or turn that off first with `/manage settings notify allow:no`. Nothing was changed."
            )
        said = f"ping role set to @{role.name}" if role else "ping role cleared"
        await self._set(interaction, "ping_role_id", role.id if role else None, said)

    @settings.command(name="spoiler-hours")
    @app_commands.describe(
        hours="Hours after each race ends to keep hiding its results in public replies (0 turns it off)"
    )
    async def settings_spoiler_hours(
        self, interaction: discord.Interaction, hours: app_commands.Range[int, 0, 168]
    ) -> None:
        """Hide race results behind spoilers for a while after each race."""
        said = (
            f"spoiler-safe mode set to {hours} hours after each race ends" if hours else "spoiler-safe mode turned off"
        )
        await self._set(interaction, "spoiler_hours", hours, said)

    @settings.command(name="announce")
    @app_commands.describe(state="on: post a card in the recap channel when a new race arrives; off: stop")
    async def settings_announce(self, interaction: discord.Interaction, state: Literal["on", "off"]) -> None:
        """Post a results card when a new race of a followed series arrives."""
        guild = _guild(interaction)
        current = await self.catalog.guild_settings(guild.id)
        if state == "off":
            await self.store.set_announce(guild.id, interaction.user.id, on=False)
            await reply_private(interaction, "Done: announcements turned off.")
            return
        if current.recap_channel_id is None:
            raise BadInputError(
                "The cards go to the recap channel: choose one with `/manage settings recap-channel` first. "
                "Nothing was changed."
            )
        await self.store.set_announce(guild.id, interaction.user.id, on=True)
        drafts = (
            f"a draft recap is saved and <#{current.mod_channel_id}> is told"
            if current.mod_channel_id
            else "a draft recap is saved in `/manage recap history` (choose `/manage settings mod-channel` to be told)"
        )
        again = " (they were on already: anything stopped resumes)" if current.announce else ""
        text = (
            f"Done: announcements turned on{again}. When a race newer than those stored now arrives in "
            f"{await self._series_text(guild.id)}, a results card goes to <#{current.recap_channel_id}> and {drafts}."
        )
        if not self.follow_series:
            text += " Pit Board follows no series right now (its owner sets FOLLOW_SERIES), so nothing arrives yet."
        await reply_private(interaction, text)

    @settings.command(name="series")
    @app_commands.describe(
        series="A series, or every series Pit Board follows (the default)",
        follow="Announce its new races (default) or stop announcing them",
    )
    @app_commands.choices(series=SERIES_CHOICES)
    async def settings_series(self, interaction: discord.Interaction, series: str, follow: bool = True) -> None:
        """Choose the series whose new races this server announces."""
        guild = _guild(interaction)
        chosen = await self.store.followed_series(guild.id)
        if series == ALL_SERIES:
            if not follow:
                raise BadInputError("To announce nothing, use `/manage settings announce off`. Nothing was changed.")
            await self.store.set_followed_series(
                guild.id, interaction.user.id, (), detail="announced series: every series Pit Board follows"
            )
        elif series not in BY_CODE:
            raise BadInputError(f"Pick a series from the list: {', '.join(BY_CODE)}. Nothing was changed.")
        else:
            # Never having chosen means every series the bot follows: a change starts from that set.
            current = chosen or self.follow_series
            if follow:
                wanted = tuple(code for code in BY_CODE if code in current or code == series)
            else:
                wanted = tuple(code for code in BY_CODE if code in current and code != series)
            if not wanted:
                raise BadInputError(
                    "That would announce no series; use `/manage settings announce off` for that. Nothing was changed."
                )
            detail = f"announced series: {', '.join(wanted)}"
            await self.store.set_followed_series(guild.id, interaction.user.id, wanted, detail=detail)
        await reply_private(interaction, f"Done: this server announces {await self._series_text(guild.id)}.")

    @settings.command(name="mod-channel")
    @app_commands.describe(channel="A channel only moderators can read, for Pit Board's notices; empty clears it")
    async def settings_mod_channel(
        self, interaction: discord.Interaction, channel: discord.TextChannel | None = None
    ) -> None:
        """Choose the moderators' private channel, where Pit Board's notices and drafts go."""
        guild = _guild(interaction)
        if channel is None:
            await self.store.set_mod_channel(guild.id, interaction.user.id, None, detail="moderators' channel cleared")
            await reply_private(interaction, "Done: moderators' channel cleared; drafts are still saved, unannounced.")
            return
        if channel.permissions_for(guild.default_role).view_channel:
            raise BadInputError(
                f"Everyone in this server can read {channel.mention}, and Pit Board's notices there are for "
                "moderators only: choose a channel @everyone cannot see. Nothing was changed."
            )
        check_channel_choice(channel, guild.me, _moderator(interaction), thread=False)
        said = f"moderators' channel set to #{channel.name}"
        await self.store.set_mod_channel(guild.id, interaction.user.id, channel.id, detail=said)
        await reply_private(interaction, f"Done: {said}.")

    @settings.command(name="notify")
    @app_commands.describe(allow="yes: fans may give themselves the ping role with /notify on|off; no: they may not")
    async def settings_notify(self, interaction: discord.Interaction, allow: Literal["yes", "no"]) -> None:
        """Let fans take or drop the ping role themselves with /notify, or stop them."""
        guild = _guild(interaction)
        if allow == "no":
            said = "/notify turned off: fans can no longer take or drop the ping role themselves"
            await self.store.update_guild_settings(
                guild.id, interaction.user.id, setting="notify", value=0, detail=said
            )
            await reply_private(interaction, f"Done: {said}. Members who took it keep it until a moderator removes it.")
            return
        current = await self.catalog.guild_settings(guild.id)
        role = guild.get_role(current.ping_role_id) if current.ping_role_id is not None else None
        if role is None:
            raise BadInputError(
                "/notify hands out the ping role: choose one with `/manage settings ping-role` first. "
                "Nothing was changed."
            )
        if problem := role_problem(role, guild.me) or bot_problem(guild.me):
            raise BadInputError(f"{problem} Then turn /notify on again. Nothing was changed.")
        said = f"/notify turned on: fans can take or drop @{role.name} themselves"
        await self.store.update_guild_settings(guild.id, interaction.user.id, setting="notify", value=1, detail=said)
        await reply_private(
            interaction, f"Done: fans can take or drop {role.mention} themselves with `/notify on` and `/notify off`."
        )

    @settings.command(name="race-day")
    @app_commands.describe(
        state="on (setting anything turns them on) or off",
        channel="Where race-day posts go (default: the recap channel)",
        hours_before="Hours before the start the pre-race card goes out (default 2)",
        ping="yes: the pre-race card pings the ping role (the one ping Pit Board makes); no: nobody",
        thread="yes: the pre-race card opens a thread for the race",
    )
    async def settings_race_day(
        self,
        interaction: discord.Interaction,
        state: Literal["on", "off"] = "on",
        channel: discord.TextChannel | None = None,
        hours_before: app_commands.Range[int, 1, 72] | None = None,
        ping: YesNo | None = None,
        thread: YesNo | None = None,
    ) -> None:
        """Post around each race: a pre-race card, the results card, and a draft recap when official."""
        guild = _guild(interaction)
        text = await change_race_day(
            self.store,
            await self.catalog.guild_settings(guild.id),
            interaction,
            state=state,
            channel=channel,
            hours_before=hours_before,
            ping=ping,
            thread=thread,
            series_text=await self._series_text(guild.id),
            race_feed=self.race_feed,
        )
        await reply_private(interaction, text)

    # --- the buttons on Pit Board's draft notices (bot.ui.announcements.DraftButton) -------------------------

    async def draft_pressed(self, interaction: discord.Interaction, action: DraftAction, draft: DraftRef) -> None:
        """Review, publish or discard a draft Pit Board saved, for a moderator of the server it belongs to."""
        await self.interaction_check(interaction)  # refuses anyone who is not a moderator here, now
        guild = _guild(interaction)
        if guild.id != draft.guild_id:
            raise NotAllowedError("That draft belongs to another server.")
        race = await self.catalog.visible_race(guild.id, draft.race_id)
        version = await self.store.recap_version(guild.id, race.id, draft.version)
        if version is None:
            raise NotFoundError(f"{plain(race.label)} has no recap version {draft.version} any more.")
        data = await self.catalog.race_data(race.id)
        if action == "publish" and version.discarded:
            raise BadInputError(f"Version {version.version} was discarded, so it can't be published.")
        # Publishing provisional results goes through the preview, whose warning the moderator reads first.
        if action == "review" or (action == "publish" and provisional_warning(data.race)):
            embed = await self.publisher.post_embed(guild.id, data, version)
            if version.discarded:
                content = f"Version {version.version} was discarded. This is how it read:"
                await reply_private(interaction, content, embed=embed)
                return
            warning = provisional_warning(data.race)
            content = f"Version {version.version}, drafted by Pit Board. {warning}"
            content += "This is exactly how it will be posted:"
            await reply_private(
                interaction, content, embed=embed, view=RecapPreview(self, data, version, interaction.user.id)
            )
        elif action == "publish":
            await interaction.response.defer(ephemeral=True, thinking=True)
            await reply_private(interaction, await self.publish_from_preview(interaction, data, version))
        else:
            if not await self.discard_version(interaction, data.race, version):
                raise BadInputError(f"Version {version.version} was published or discarded already.")
            await reply_private(
                interaction,
                f"Discarded version {version.version}. It stays in `/manage recap history`, marked discarded.",
            )

    # --- /manage recap ------------------------------------------------------------------------------------

    @recap.command(name="write")
    @app_commands.describe(race="The race to write about (default: the latest)")
    async def recap_write(self, interaction: discord.Interaction, race: RaceChoice | None = None) -> None:
        """Write a new version of a race's recap, then preview it privately."""
        data = await self._race(interaction, race)
        chosen = data.race
        draft = await self.store.recap_version(_guild(interaction).id, chosen.id)
        await interaction.response.send_modal(RecapModal(self, data, edit=False, draft=draft))

    @recap.command(name="publish")
    @app_commands.describe(
        race="The race whose latest recap to post (default: the latest race)",
        channel="Post here instead of the recap channel",
        thread="Open a discussion thread on the post",
        ping="Ping the configured ping role",
    )
    async def recap_publish(
        self,
        interaction: discord.Interaction,
        race: RaceChoice | None = None,
        channel: discord.TextChannel | None = None,
        thread: bool = False,
        ping: bool = False,
    ) -> None:
        """Post the latest recap version, or update the post if it is already up."""
        data = await self._race(interaction, race)
        chosen = data.race
        version = await self.store.recap_version(_guild(interaction).id, chosen.id)
        if version is None:
            raise NotFoundError(
                f"There is no recap of {plain(chosen.label)} yet; write one with `/manage recap write`."
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await self.publisher.publish(interaction, data, version, channel, thread=thread, ping=ping)
        await reply_private(interaction, report)

    @recap.command(name="history")
    @app_commands.describe(race="The race (default: the latest)")
    async def recap_history(self, interaction: discord.Interaction, race: RaceChoice | None = None) -> None:
        """List the saved versions of a race's recap."""
        guild = _guild(interaction)
        data = await self._race(interaction, race)
        chosen = data.race
        versions = await self.store.recap_versions(guild.id, chosen.id)
        if not versions:
            raise NotFoundError(
                f"There is no recap of {plain(chosen.label)} yet; write one with `/manage recap write`."
            )
        post = await self.store.recap_post(guild.id, chosen.id)
        lines = []
        for v in versions[:20]:
            marks = []
            if post is not None and post.version == v.version:
                marks.append("**published**")
            if v.discarded:
                marks.append("discarded")
            if v.reverted_from:
                marks.append(f"copy of v{v.reverted_from}")
            suffix = f" · {', '.join(marks)}" if marks else ""
            headline = plain(v.headline[:80])
            author = "Pit Board" if _is_pit_board(interaction, v.author_id) else f"<@{v.author_id}>"
            lines.append(f"**v{v.version}** {headline} · {author} · {timestamp(v.created_at, 'R')}{suffix}")
        embed = new_embed(f"Recap versions: {plain(chosen.label)}", "\n".join(lines))
        if len(versions) > 20:
            embed.set_footer(text=f"Showing the newest 20 of {len(versions)} versions")
        await reply_private(interaction, embed=fit(embed))

    @recap.command(name="revert")
    @app_commands.describe(race="The race", version="The version to make the latest again")
    async def recap_revert(
        self, interaction: discord.Interaction, race: RaceChoice, version: app_commands.Range[int, 1, 100_000]
    ) -> None:
        """Make an old version the latest again, as a new version."""
        guild = _guild(interaction)
        data = await self._race(interaction, race)
        chosen = data.race
        old = await self.store.recap_version(guild.id, chosen.id, version)
        if old is None:
            raise NotFoundError(f"{plain(chosen.label)} has no recap version {version}; see `/manage recap history`.")
        new = await self.store.add_recap_version(
            guild.id,
            chosen.id,
            headline=old.headline,
            body=old.body,
            author_id=interaction.user.id,
            reverted_from=version,
        )
        await reply_private(
            interaction,
            f"Version {version} is the latest again, saved as version {new.version}. "
            "Publish it with `/manage recap publish` to update the post.",
        )

    # --- /manage quote ------------------------------------------------------------------------------------

    @quote.command(name="add")
    @app_commands.describe(race="The race the quote is about (default: the latest)")
    async def quote_add(self, interaction: discord.Interaction, race: RaceChoice | None = None) -> None:
        """Add a sourced quote that this server's fans will find with /quote."""
        data = await self._race(interaction, race)
        chosen = data.race
        await interaction.response.send_modal(QuoteModal(self, chosen))

    @quote.command(name="remove")
    @app_commands.describe(quote_id="Pick one of this server's quotes by speaker or words, or type its number")
    async def quote_remove(self, interaction: discord.Interaction, quote_id: app_commands.Range[int, 1]) -> None:
        """Remove a quote this server added."""
        speaker = await self.store.remove_guild_quote(_guild(interaction).id, quote_id, interaction.user.id)
        if speaker is None:
            raise NotFoundError(f"This server added no quote #{quote_id}; only quotes added here can be removed.")
        await reply_private(interaction, f"Removed quote #{quote_id} by {plain(speaker)}.")

    @quote_remove.autocomplete("quote_id")
    async def quote_remove_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        """Offer the quotes this server added, newest first, matching what was typed so far."""
        # Discord runs no check before autocomplete, so the list is for moderators only.
        if not await self._is_moderator(interaction):
            return []
        quotes = await self.catalog.quotes(guild_id=_guild(interaction).id)
        # Only add_guild_quote sets added_by, always with this server's id; shared quotes have none.
        own = sorted((q for q in quotes if q.added_by is not None), key=lambda q: q.id, reverse=True)
        typed = str(current)[:CHOICE_VALUE_MAX].strip().lstrip("#").casefold()
        if typed:
            own = [q for q in own if typed in f"{q.id} {q.speaker} {q.text} {q.race_label}".casefold()]
            own.sort(key=lambda q: str(q.id) != typed)  # the number typed in full comes first
        return [app_commands.Choice(name=_quote_choice_name(q), value=q.id) for q in own[:CHOICES_MAX]]

    async def save_quote(self, interaction: discord.Interaction, race: Race, fields: dict[str, str]) -> None:
        """Store a quote typed into the form, attributed to the moderator who typed it."""
        speaker, text = fields["speaker"].strip(), fields["text"].strip()
        if not speaker or not text:
            raise BadInputError("A quote needs a speaker and the words said; nothing was saved.")
        url = _https_url(fields["source"])
        drivers = {name_key(d.name): d.id for d in await self.store.drivers()}
        quote_id = await self.store.add_guild_quote(
            guild_id=_guild(interaction).id,
            race_id=race.id,
            driver_id=drivers.get(name_key(speaker)),
            speaker=speaker,
            text=text,
            context=fields["context"].strip() or None,
            source_url=url,
            author_id=interaction.user.id,
        )
        await reply_private(interaction, f"Added quote #{quote_id} by {plain(speaker)} to {plain(race.label)}.")

    # --- /manage results ----------------------------------------------------------------------------------

    @results.command(name="import")
    @app_commands.describe(
        file="A CSV in Pit Board's results format (see the README), at most 1 MB and 250 rows",
        series="The series, e.g. truck, nxs, cup or a stored series name",
        season="The season year",
        round="The round within the season",
        name="The race's name, e.g. Baptist Health 200",
        track="The track's name",
        date="The race date as YYYY-MM-DD",
    )
    async def results_import(
        self,
        interaction: discord.Interaction,
        file: discord.Attachment,
        series: app_commands.Transform[tuple[str, str], NewSeriesOption],
        season: app_commands.Range[int, 1900, 2100],
        round: app_commands.Range[int, 1, 60],
        name: app_commands.Range[str, 1, 100],
        track: app_commands.Range[str, 1, 100],
        date: str,
    ) -> None:
        """Upload a race's results as a CSV; they stay provisional until marked official."""
        _check_typed("Nothing was imported.", name=name, track=track, date=date)
        if file.size > MAX_UPLOAD_BYTES:
            raise BadInputError(f"{file.filename} is {file.size:,} bytes; the limit is 1 MB. Nothing was imported.")
        try:
            race_date = dt.date.fromisoformat(date.strip())
        except ValueError:
            raise BadInputError(f"'{date[:20]}' is not a date like 2025-03-21. Nothing was imported.") from None
        if race_date.year != season:
            # A date outside its season misfiles the race, and one near year 9999 breaks spoiler-safe mode.
            raise BadInputError(
                f"The date {race_date.isoformat()} is not in the {season} season; a race's date must fall in "
                "its season's year. Nothing was imported."
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            text = (await file.read()).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BadInputError(
                f"{file.filename} is not UTF-8 text; save it as CSV UTF-8. Nothing was imported."
            ) from None
        entries, errors = parse_results(text, file.filename)
        rows = len(entries) + len(errors)
        if rows > MAX_UPLOAD_ROWS:
            raise BadInputError(
                f"{file.filename} has {rows} rows; the limit is {MAX_UPLOAD_ROWS}. Nothing was imported."
            )
        if not entries and not errors:
            raise BadInputError(f"{file.filename} has a header but no rows. Nothing was imported.")
        if errors:
            shown = "\n".join(f"• {e}" for e in errors[:ERRORS_SHOWN])
            more = f"\n…and {len(errors) - ERRORS_SHOWN} more." if len(errors) > ERRORS_SHOWN else ""
            raise BadInputError(f"Nothing was imported; fix these lines and upload again:\n{shown}{more}"[:1900])
        try:
            outcome = await self.store.import_guild_results(
                guild_id=_guild(interaction).id,
                user_id=interaction.user.id,
                series=series,
                season=season,
                round_=round,
                name=name.strip(),
                track=track.strip(),
                date=race_date,
                entries=entries,
            )
        except ResultsRefusedError as error:
            raise BadInputError(f"{error} Nothing was imported.") from error
        verb = "Replaced the results of" if outcome.replaced else "Imported"
        race_name = plain(name.strip())
        await reply_private(
            interaction,
            f"{verb} {season} {race_name} ({outcome.entries} entries). They are **provisional** until you run "
            "`/manage results official`.",
        )

    @results.command(name="official")
    @app_commands.describe(race="A race this server uploaded")
    async def results_official(self, interaction: discord.Interaction, race: RaceChoice) -> None:
        """Mark uploaded results official."""
        data = await self._race(interaction, race)
        chosen = data.race
        try:
            changed = await self.store.mark_official(_guild(interaction).id, chosen.id, interaction.user.id)
        except ResultsRefusedError as error:
            raise BadInputError(str(error)) from error
        said = "are now official" if changed else "were official already"
        await reply_private(interaction, f"The results of {plain(chosen.label)} {said}.")

    @results.command(name="correct")
    @app_commands.describe(
        race="A race this server uploaded",
        car="The car number as raced, e.g. 07",
        reason="Why, e.g. 'disqualified: rear spoiler too tall'",
        finish="The new finishing position; the others move up or down one place",
        status="The new status, e.g. disqualified",
        points="The new points",
    )
    async def results_correct(
        self,
        interaction: discord.Interaction,
        race: RaceChoice,
        car: app_commands.Range[str, 1, 5],
        reason: app_commands.Range[str, 3, 300],
        finish: app_commands.Range[int, 1, 250] | None = None,
        status: app_commands.Range[str, 1, 40] | None = None,
        points: app_commands.Range[int, 0, 500] | None = None,
    ) -> None:
        """Record a correction, such as a penalty or disqualification, with its reason."""
        _check_typed("Nothing was changed.", reason=reason, status=status)
        data = await self._race(interaction, race)
        chosen = data.race
        try:
            correction = await self.store.correct_result(
                guild_id=_guild(interaction).id,
                race_id=chosen.id,
                user_id=interaction.user.id,
                car=car,
                reason=reason.strip(),
                finish=finish,
                status=status.strip() if status else None,
                points=points,
            )
        except ResultsRefusedError as error:
            raise BadInputError(f"{error} Nothing was changed.") from error
        await reply_private(
            interaction,
            f"Recorded for {plain(chosen.label)}: {plain(correction.summary)} ({plain(correction.reason)}). "
            "Fans see it in /results and /recap.",
        )

    # --- /manage audit ------------------------------------------------------------------------------------

    @app_commands.command(name="audit")
    async def audit(self, interaction: discord.Interaction) -> None:
        """Show the last 20 moderator actions in this server."""
        entries = await self.store.audit_entries(_guild(interaction).id)
        if not entries:
            raise NotFoundError("No moderator actions are recorded in this server yet.")
        lines = [
            f"{timestamp(e.created_at, 'R')} {f'<@{e.user_id}>' if e.user_id is not None else 'Pit Board'} · "
            f"{e.action}: {plain(e.detail)}"
            for e in entries
        ]
        await reply_private(interaction, embed=fit(new_embed("Moderator actions", "\n".join(lines))))

    # --- /manage data -------------------------------------------------------------------------------------

    @app_commands.command(name="data")
    async def data(self, interaction: discord.Interaction) -> None:
        """Show where the race data comes from, how current it is, the refreshes and the last error."""
        status = await self.catalog.data_status(_guild(interaction).id)
        await reply_private(interaction, embed=data_status_embed(status, followed=self.follow_series))
