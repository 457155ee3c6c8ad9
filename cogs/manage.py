"""Moderator commands under /manage: settings, recaps, quotes, results and the audit log."""

import datetime as dt
import logging
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import render, search
from bot.errors import BadInputError, NotAllowedError, NotFoundError
from bot.names import name_key
from bot.options import SearchOptions
from bot.posts import recap_post_embed, timestamp
from bot.racefiles import parse_results
from bot.spoilers import spoiler_active
from bot.store import ResultsRefusedError, Store
from bot.store.models import Race, RecapVersion
from bot.tree import NO_MENTIONS, Modal, View, send_private

if TYPE_CHECKING:
    from bot.client import PitBoard

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 1_000_000
MAX_UPLOAD_ROWS = 250
ERRORS_SHOWN = 20
PREVIEW_TIMEOUT = 900.0
REFUSAL = (
    "Only moderators can use /manage: members with Manage Server, "
    "or with the moderator role this server set in /manage settings mod-role."
)


def _guild(interaction: discord.Interaction) -> discord.Guild:
    assert interaction.guild is not None  # every /manage command is guild_only and checked
    return interaction.guild


def _https_url(text: str) -> str:
    """Return text if it is a plain https link, else raise BadInputError."""
    url = text.strip()
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https" or not parts.netloc or any(c.isspace() for c in url) or len(url) > 500:
        raise BadInputError("The source must be a single https:// link to where the quote was published.")
    return url


def _missing_permissions(channel: discord.abc.GuildChannel, me: discord.Member, *, thread: bool) -> list[str]:
    """Return the names of the permissions the bot lacks to post a recap in channel."""
    have = channel.permissions_for(me)
    needed = {"View Channel": have.view_channel, "Send Messages": have.send_messages, "Embed Links": have.embed_links}
    if thread:
        needed["Create Public Threads"] = have.create_public_threads
    return [name for name, ok in needed.items() if not ok]


class RecapModal(Modal):
    """The form a moderator writes a recap in."""

    headline: discord.ui.TextInput["RecapModal"] = discord.ui.TextInput(
        label="Headline", custom_id="headline", max_length=256
    )
    body: discord.ui.TextInput["RecapModal"] = discord.ui.TextInput(
        label="Recap", custom_id="body", style=discord.TextStyle.paragraph, max_length=4000
    )

    def __init__(
        self,
        race: Race,
        on_save: Callable[[discord.Interaction, str, str], Awaitable[None]],
        draft: RecapVersion | None = None,
    ) -> None:
        super().__init__(title=f"Recap: {race.season} {race.name}"[:45], timeout=PREVIEW_TIMEOUT)
        self.on_save = on_save
        if draft is not None:
            self.headline.default = draft.headline
            self.body.default = draft.body

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Save what was typed as a new version."""
        headline, body = self.headline.value.strip(), self.body.value.strip()
        if not headline or not body:
            raise BadInputError("A recap needs a headline and a body; nothing was saved.")
        await self.on_save(interaction, headline, body)


class RecapPreview(View):
    """Publish, Edit and Discard under a private preview; only its author can press them."""

    def __init__(self, cog: "Manage", race: Race, version: RecapVersion, author_id: int) -> None:
        super().__init__(timeout=PREVIEW_TIMEOUT)
        self.cog = cog
        self.race = race
        self.version = version
        self.author_id = author_id

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Let only the moderator who wrote the draft press its buttons."""
        if interaction.user.id != self.author_id:
            await send_private(interaction, "This preview belongs to the moderator who wrote it.")
            return False
        await self.cog.interaction_check(interaction)
        return True

    @discord.ui.button(label="Publish", style=discord.ButtonStyle.success)
    async def publish(self, interaction: discord.Interaction, _: discord.ui.Button["RecapPreview"]) -> None:
        """Post this version to the recap channel."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await self.cog.publish_version(interaction, self.race, self.version, None, thread=False, ping=False)
        self.stop()
        await interaction.edit_original_response(content=report, embed=None, view=None)

    @discord.ui.button(label="Edit", style=discord.ButtonStyle.primary)
    async def edit(self, interaction: discord.Interaction, _: discord.ui.Button["RecapPreview"]) -> None:
        """Reopen the form with this version filled in; saving makes a new version."""
        await interaction.response.send_modal(RecapModal(self.race, self.cog.saver(self.race, edit=True), self.version))
        self.stop()

    @discord.ui.button(label="Discard", style=discord.ButtonStyle.danger)
    async def discard(self, interaction: discord.Interaction, _: discord.ui.Button["RecapPreview"]) -> None:
        """Drop this draft; it stays in the history, marked discarded."""
        guild = _guild(interaction)
        if not await self.cog.store.discard_recap_version(guild.id, self.race.id, self.version.version, self.author_id):
            raise BadInputError("That version was published already, so it can't be discarded.")
        self.stop()
        await interaction.response.edit_message(
            content=f"Discarded version {self.version.version}. It stays in `/manage recap history`, marked discarded.",
            embed=None,
            view=None,
        )


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Manage(SearchOptions, commands.GroupCog, group_name="manage", group_description="Moderator tools for Pit Board"):
    """Moderator commands; each one checks the member's rights when it runs."""

    settings = app_commands.Group(name="settings", description="This server's Pit Board settings")
    recap = app_commands.Group(name="recap", description="Write, preview, publish and revise race recaps")
    quote = app_commands.Group(name="quote", description="Add or remove this server's quotes")
    results = app_commands.Group(name="results", description="Upload, confirm and correct race results")

    def __init__(
        self, store: Store, catalog: search.Catalog, *, clock: Callable[[], dt.datetime] = discord.utils.utcnow
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.clock = clock

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Refuse anyone who is not a moderator here, whatever Discord's menu showed them."""
        if interaction.guild is None or not isinstance(interaction.user, discord.Member):
            raise NotAllowedError("Moderator commands work only inside a server.")
        if interaction.permissions.manage_guild:
            return True
        settings = await self.store.guild_settings(interaction.guild.id)
        if settings.mod_role_id is not None and interaction.user.get_role(settings.mod_role_id) is not None:
            return True
        raise NotAllowedError(REFUSAL)

    # --- shared helpers ---------------------------------------------------------------------------------------

    async def _race(self, interaction: discord.Interaction, text: str | None) -> Race:
        index = await self.catalog.index(_guild(interaction).id)
        summary = search.resolve_race(index, text)
        race = await self.store.race(summary.id)
        if race is None:
            raise NotFoundError("That race is no longer stored; pick another from the list.")
        return race

    async def _preview_embed(self, guild: discord.Guild, race: Race, version: RecapVersion) -> discord.Embed:
        settings = await self.store.guild_settings(guild.id)
        spoiler = spoiler_active(race.date, settings.spoiler_hours, self.clock())
        entries = await self.store.entries(race.id)
        stages = await self.store.stage_results(race.id)
        corrections = await self.store.corrections(race.id)
        return recap_post_embed(race, entries, stages, version, corrections, spoiler=spoiler)

    def saver(self, race: Race, *, edit: bool) -> Callable[[discord.Interaction, str, str], Awaitable[None]]:
        """Return what a submitted recap form does: save a version, then show its private preview."""

        async def save(interaction: discord.Interaction, headline: str, body: str) -> None:
            guild = _guild(interaction)
            version = await self.store.add_recap_version(
                guild.id, race.id, headline=headline, body=body, author_id=interaction.user.id
            )
            embed = await self._preview_embed(guild, race, version)
            content = f"Saved as version {version.version}. This is exactly how it will be posted:"
            view = RecapPreview(self, race, version, interaction.user.id)
            if edit:
                await interaction.response.edit_message(content=content, embed=embed, view=view)
            else:
                await interaction.response.send_message(
                    content, embed=embed, view=view, ephemeral=True, allowed_mentions=NO_MENTIONS
                )

        return save

    async def publish_version(
        self,
        interaction: discord.Interaction,
        race: Race,
        version: RecapVersion,
        channel: discord.TextChannel | None,
        *,
        thread: bool,
        ping: bool,
    ) -> str:
        """Post a version to the recap channel, or edit the message it was posted in; return what happened."""
        guild = _guild(interaction)
        settings = await self.store.guild_settings(guild.id)
        target = channel
        if target is None and settings.recap_channel_id is not None:
            found = guild.get_channel(settings.recap_channel_id)
            target = found if isinstance(found, discord.TextChannel) else None
        if target is None:
            raise BadInputError("Choose a channel, or set one with `/manage settings recap-channel` first.")
        missing = _missing_permissions(target, guild.me, thread=thread)
        if missing:
            raise BadInputError(f"I can't post in {target.mention}: I need {', '.join(missing)} there.")
        if ping and settings.ping_role_id is None:
            raise BadInputError(
                "No ping role is set; choose one with `/manage settings ping-role`, or publish without ping."
            )

        embed = await self._preview_embed(guild, race, version)
        post = await self.store.recap_post(guild.id, race.id)
        message: discord.Message | None = None
        edited = False
        if post is not None and post.channel_id == target.id:
            try:
                message = await target.get_partial_message(post.message_id).edit(
                    content=None, embed=embed, allowed_mentions=NO_MENTIONS
                )
                edited = True
            except discord.NotFound:
                log.info("Recap message %s was deleted; posting a new one", post.message_id)
        if message is None:
            content, mentions = None, NO_MENTIONS
            if ping and settings.ping_role_id is not None:
                # The one ping Pit Board ever makes: the role a moderator configured, and only that role.
                content = f"<@&{settings.ping_role_id}>"
                mentions = discord.AllowedMentions(
                    everyone=False, users=False, roles=[discord.Object(settings.ping_role_id)], replied_user=False
                )
            message = await target.send(content=content, embed=embed, allowed_mentions=mentions)
        thread_id = post.thread_id if post is not None and edited else None
        if thread and thread_id is None:
            created = await message.create_thread(name=f"{race.season} {race.name} recap"[:100])
            thread_id = created.id
        await self.store.record_recap_post(
            guild_id=guild.id,
            race_id=race.id,
            channel_id=target.id,
            message_id=message.id,
            thread_id=thread_id,
            version=version.version,
            user_id=interaction.user.id,
            edited=edited,
        )
        verb = "Updated the recap already posted" if edited else "Published the recap"
        return f"{verb} in {target.mention} (version {version.version}): {message.jump_url}"

    # --- /manage settings ---------------------------------------------------------------------------------

    @settings.command(name="show")
    async def settings_show(self, interaction: discord.Interaction) -> None:
        """Show this server's Pit Board settings."""
        current = await self.store.guild_settings(_guild(interaction).id)

        def shown(value: int | None, mention: str) -> str:
            return mention.format(value) if value is not None else "not set"

        embed = discord.Embed(title="Pit Board settings", colour=discord.Colour.blurple())
        embed.add_field(name="Recap channel", value=shown(current.recap_channel_id, "<#{}>"))
        embed.add_field(name="Moderator role", value=shown(current.mod_role_id, "<@&{}>"))
        embed.add_field(name="Ping role", value=shown(current.ping_role_id, "<@&{}>"))
        hours = current.spoiler_hours
        embed.add_field(name="Spoiler-safe mode", value=f"{hours} hours after each race" if hours else "off")
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def _set(self, interaction: discord.Interaction, setting: str, value: int | None, said: str) -> None:
        guild = _guild(interaction)
        await self.store.update_guild_settings(guild.id, interaction.user.id, setting=setting, value=value, detail=said)
        await interaction.response.send_message(f"Done: {said}.", ephemeral=True, allowed_mentions=NO_MENTIONS)

    @settings.command(name="recap-channel")
    @app_commands.describe(channel="Where published recaps are posted")
    async def settings_recap_channel(self, interaction: discord.Interaction, channel: discord.TextChannel) -> None:
        """Choose the channel recaps are published in."""
        guild = _guild(interaction)
        missing = _missing_permissions(channel, guild.me, thread=True)
        if missing:
            raise BadInputError(
                f"I can't use {channel.mention}: I need {', '.join(missing)} there. Nothing was changed."
            )
        await self._set(interaction, "recap_channel_id", channel.id, f"recap channel set to #{channel.name}")

    @settings.command(name="mod-role")
    @app_commands.describe(role="Members with this role may use /manage; leave empty to clear")
    async def settings_mod_role(self, interaction: discord.Interaction, role: discord.Role | None = None) -> None:
        """Choose the role that may use /manage besides Manage Server."""
        if role is not None and role.is_default():
            raise BadInputError("@everyone can't be the moderator role. Nothing was changed.")
        said = f"moderator role set to @{role.name}" if role else "moderator role cleared"
        await self._set(interaction, "mod_role_id", role.id if role else None, said)

    @settings.command(name="ping-role")
    @app_commands.describe(role="The role a recap may ping when published with ping; leave empty to clear")
    async def settings_ping_role(self, interaction: discord.Interaction, role: discord.Role | None = None) -> None:
        """Choose the role pinged when a recap is published with ping."""
        if role is not None and role.is_default():
            raise BadInputError("Pit Board never pings @everyone; choose a role fans opt into. Nothing was changed.")
        said = f"ping role set to @{role.name}" if role else "ping role cleared"
        await self._set(interaction, "ping_role_id", role.id if role else None, said)

    @settings.command(name="spoiler-hours")
    @app_commands.describe(hours="Hours after race day to hide results in public replies (0 turns it off)")
    async def settings_spoiler_hours(
        self, interaction: discord.Interaction, hours: app_commands.Range[int, 0, 168]
    ) -> None:
        """Hide race results behind spoilers for a while after each race."""
        said = f"spoiler-safe mode set to {hours} hours after race day" if hours else "spoiler-safe mode turned off"
        await self._set(interaction, "spoiler_hours", hours, said)

    # --- /manage recap ------------------------------------------------------------------------------------

    @recap.command(name="write")
    @app_commands.describe(race="The race to write about (default: the latest)")
    @app_commands.autocomplete(race=SearchOptions.race_autocomplete)
    async def recap_write(self, interaction: discord.Interaction, race: str | None = None) -> None:
        """Write a new version of a race's recap, then preview it privately."""
        chosen = await self._race(interaction, race)
        draft = await self.store.recap_version(_guild(interaction).id, chosen.id)
        await interaction.response.send_modal(RecapModal(chosen, self.saver(chosen, edit=False), draft))

    @recap.command(name="publish")
    @app_commands.describe(
        race="The race whose latest recap to post (default: the latest race)",
        channel="Post here instead of the recap channel",
        thread="Open a discussion thread on the post",
        ping="Ping the configured ping role",
    )
    @app_commands.autocomplete(race=SearchOptions.race_autocomplete)
    async def recap_publish(
        self,
        interaction: discord.Interaction,
        race: str | None = None,
        channel: discord.TextChannel | None = None,
        thread: bool = False,
        ping: bool = False,
    ) -> None:
        """Post the latest recap version, or update the post if it is already up."""
        chosen = await self._race(interaction, race)
        version = await self.store.recap_version(_guild(interaction).id, chosen.id)
        if version is None:
            raise NotFoundError(f"There is no recap of {chosen.label} yet; write one with `/manage recap write`.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await self.publish_version(interaction, chosen, version, channel, thread=thread, ping=ping)
        await interaction.followup.send(report, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @recap.command(name="history")
    @app_commands.describe(race="The race (default: the latest)")
    @app_commands.autocomplete(race=SearchOptions.race_autocomplete)
    async def recap_history(self, interaction: discord.Interaction, race: str | None = None) -> None:
        """List the saved versions of a race's recap."""
        guild = _guild(interaction)
        chosen = await self._race(interaction, race)
        versions = await self.store.recap_versions(guild.id, chosen.id)
        if not versions:
            raise NotFoundError(f"There is no recap of {chosen.label} yet; write one with `/manage recap write`.")
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
            headline = discord.utils.escape_markdown(v.headline[:80])
            lines.append(f"**v{v.version}** {headline} · <@{v.author_id}> · {timestamp(v.created_at, 'R')}{suffix}")
        embed = discord.Embed(title=f"Recap versions: {chosen.label}"[:256], description="\n".join(lines))
        if len(versions) > 20:
            embed.set_footer(text=f"Showing the newest 20 of {len(versions)} versions")
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @recap.command(name="revert")
    @app_commands.describe(race="The race", version="The version to make the latest again")
    @app_commands.autocomplete(race=SearchOptions.race_autocomplete)
    async def recap_revert(
        self, interaction: discord.Interaction, race: str, version: app_commands.Range[int, 1, 100_000]
    ) -> None:
        """Make an old version the latest again, as a new version."""
        guild = _guild(interaction)
        chosen = await self._race(interaction, race)
        old = await self.store.recap_version(guild.id, chosen.id, version)
        if old is None:
            raise NotFoundError(f"{chosen.label} has no recap version {version}; see `/manage recap history`.")
        new = await self.store.add_recap_version(
            guild.id,
            chosen.id,
            headline=old.headline,
            body=old.body,
            author_id=interaction.user.id,
            reverted_from=version,
        )
        await interaction.response.send_message(
            f"Version {version} is the latest again, saved as version {new.version}. "
            "Publish it with `/manage recap publish` to update the post.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    # --- /manage quote ------------------------------------------------------------------------------------

    @quote.command(name="add")
    @app_commands.describe(race="The race the quote is about (default: the latest)")
    @app_commands.autocomplete(race=SearchOptions.race_autocomplete)
    async def quote_add(self, interaction: discord.Interaction, race: str | None = None) -> None:
        """Add a sourced quote that this server's fans will find with /quote."""
        chosen = await self._race(interaction, race)
        await interaction.response.send_modal(QuoteModal(self, chosen))

    @quote.command(name="remove")
    @app_commands.describe(quote_id="The quote's number, shown in its footer in /quote")
    async def quote_remove(self, interaction: discord.Interaction, quote_id: app_commands.Range[int, 1]) -> None:
        """Remove a quote this server added."""
        speaker = await self.store.remove_guild_quote(_guild(interaction).id, quote_id, interaction.user.id)
        if speaker is None:
            raise NotFoundError(f"This server added no quote #{quote_id}; only quotes added here can be removed.")
        self.catalog.invalidate()  # fans' quote lists are read through it
        await interaction.response.send_message(
            f"Removed quote #{quote_id} by {discord.utils.escape_markdown(speaker)}.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

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
        self.catalog.invalidate()
        await interaction.response.send_message(
            f"Added quote #{quote_id} by {discord.utils.escape_markdown(speaker)} to {race.label}.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    # --- /manage results ----------------------------------------------------------------------------------

    async def series_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Offer stored series and the short names truck, nxs and cup."""
        index = await self.catalog.index(_guild(interaction).id)
        return render.choices(search.series_suggestions(index, current, include_new=True))

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
    @app_commands.autocomplete(series=series_autocomplete)
    async def results_import(
        self,
        interaction: discord.Interaction,
        file: discord.Attachment,
        series: str,
        season: app_commands.Range[int, 1900, 2100],
        round: app_commands.Range[int, 1, 60],
        name: app_commands.Range[str, 1, 100],
        track: app_commands.Range[str, 1, 100],
        date: str,
    ) -> None:
        """Upload a race's results as a CSV; they stay provisional until marked official."""
        if file.size > MAX_UPLOAD_BYTES:
            raise BadInputError(f"{file.filename} is {file.size:,} bytes; the limit is 1 MB. Nothing was imported.")
        try:
            race_date = dt.date.fromisoformat(date.strip())
        except ValueError:
            raise BadInputError(f"'{date[:20]}' is not a date like 2025-03-21. Nothing was imported.") from None
        index = await self.catalog.index(_guild(interaction).id)
        chosen_series = search.resolve_series(index, series, allow_new=True)
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
                series=chosen_series,
                season=season,
                round_=round,
                name=name.strip(),
                track=track.strip(),
                date=race_date,
                entries=entries,
            )
        except ResultsRefusedError as error:
            raise BadInputError(f"{error} Nothing was imported.") from error
        self.catalog.invalidate()
        verb = "Replaced the results of" if outcome.replaced else "Imported"
        await interaction.followup.send(
            f"{verb} {season} {name} ({outcome.entries} entries). They are **provisional** until you run "
            "`/manage results official`.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @results.command(name="official")
    @app_commands.describe(race="A race this server uploaded")
    @app_commands.autocomplete(race=SearchOptions.race_autocomplete)
    async def results_official(self, interaction: discord.Interaction, race: str) -> None:
        """Mark uploaded results official."""
        chosen = await self._race(interaction, race)
        try:
            changed = await self.store.mark_official(_guild(interaction).id, chosen.id, interaction.user.id)
        except ResultsRefusedError as error:
            raise BadInputError(str(error)) from error
        self.catalog.invalidate()
        said = "are now official" if changed else "were official already"
        await interaction.response.send_message(
            f"The results of {chosen.label} {said}.", ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @results.command(name="correct")
    @app_commands.describe(
        race="A race this server uploaded",
        car="The car number as raced, e.g. 07",
        reason="Why, e.g. 'disqualified: rear spoiler too tall'",
        finish="The new finishing position; the others move up or down one place",
        status="The new status, e.g. disqualified",
        points="The new points",
    )
    @app_commands.autocomplete(race=SearchOptions.race_autocomplete)
    async def results_correct(
        self,
        interaction: discord.Interaction,
        race: str,
        car: app_commands.Range[str, 1, 5],
        reason: app_commands.Range[str, 3, 300],
        finish: app_commands.Range[int, 1, 250] | None = None,
        status: app_commands.Range[str, 1, 40] | None = None,
        points: app_commands.Range[int, 0, 500] | None = None,
    ) -> None:
        """Record a correction, such as a penalty or disqualification, with its reason."""
        chosen = await self._race(interaction, race)
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
        self.catalog.invalidate()
        await interaction.response.send_message(
            f"Recorded for {chosen.label}: {correction.summary} ({correction.reason}). "
            "Fans see it in /results and /recap.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    # --- /manage audit ------------------------------------------------------------------------------------

    @app_commands.command(name="audit")
    async def audit(self, interaction: discord.Interaction) -> None:
        """Show the last 20 moderator actions in this server."""
        entries = await self.store.audit_entries(_guild(interaction).id)
        if not entries:
            raise NotFoundError("No moderator actions are recorded in this server yet.")
        lines = [
            f"{timestamp(e.created_at, 'R')} <@{e.user_id}> · {e.action}: {discord.utils.escape_markdown(e.detail)}"
            for e in entries
        ]
        embed = discord.Embed(title="Moderator actions", description="\n".join(lines)[:4096])
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)


class QuoteModal(Modal):
    """The form for a moderator's quote."""

    speaker: discord.ui.TextInput["QuoteModal"] = discord.ui.TextInput(
        label="Speaker", custom_id="speaker", max_length=100
    )
    text: discord.ui.TextInput["QuoteModal"] = discord.ui.TextInput(
        label="Quote", custom_id="text", style=discord.TextStyle.paragraph, max_length=1000
    )
    context: discord.ui.TextInput["QuoteModal"] = discord.ui.TextInput(
        label="Context (optional)", custom_id="context", required=False, max_length=200
    )
    source: discord.ui.TextInput["QuoteModal"] = discord.ui.TextInput(
        label="Source link (https)", custom_id="source", max_length=500, placeholder="https://"
    )

    def __init__(self, cog: Manage, race: Race) -> None:
        super().__init__(title=f"Quote: {race.season} {race.name}"[:45], timeout=PREVIEW_TIMEOUT)
        self.cog = cog
        self.race = race

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Check the link and store the quote."""
        await self.cog.interaction_check(interaction)
        fields = {
            "speaker": self.speaker.value,
            "text": self.text.value,
            "context": self.context.value,
            "source": self.source.value,
        }
        await self.cog.save_quote(interaction, self.race, fields)


async def setup(bot: "PitBoard") -> None:
    """Add the moderator cog, handing it the store and the shared search catalog."""
    await bot.add_cog(Manage(bot.store, bot.catalog))
