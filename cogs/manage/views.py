"""The moderators' forms and buttons: the recap form, its private preview, and the quote form.

Each re-checks, when it is submitted or pressed, that the member is still a moderator here: a form or preview
opened before the role was taken away does nothing.
"""

from typing import Protocol

import discord

from bot.catalog import RaceData
from bot.errors import BadInputError
from bot.store.models import Race, RecapVersion
from bot.tree import Modal, View, reply_private

PREVIEW_TIMEOUT = 900.0


class ModeratorDesk(Protocol):
    """What the forms and the preview ask of the moderator cog."""

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Refuse anyone who is not a moderator here."""
        ...

    async def save_recap(
        self, interaction: discord.Interaction, data: RaceData, headline: str, body: str, *, edit: bool
    ) -> None:
        """Save a recap version and show its preview."""
        ...

    async def publish_from_preview(
        self, interaction: discord.Interaction, data: RaceData, version: RecapVersion
    ) -> str:
        """Publish a previewed version to the recap channel; return what happened."""
        ...

    async def discard_version(self, interaction: discord.Interaction, race: Race, version: RecapVersion) -> bool:
        """Mark a draft discarded; return False if it was published already."""
        ...

    async def save_quote(self, interaction: discord.Interaction, race: Race, fields: dict[str, str]) -> None:
        """Store a quote typed into the form."""
        ...


class RecapModal(Modal):
    """The form a moderator writes a recap in."""

    headline: discord.ui.TextInput["RecapModal"] = discord.ui.TextInput(
        label="Headline", custom_id="headline", max_length=256
    )
    body: discord.ui.TextInput["RecapModal"] = discord.ui.TextInput(
        label="Recap", custom_id="body", style=discord.TextStyle.paragraph, max_length=4000
    )

    def __init__(self, desk: ModeratorDesk, data: RaceData, *, edit: bool, draft: RecapVersion | None = None) -> None:
        race = data.race
        super().__init__(title=f"Recap: {race.season} {race.name}"[:45], timeout=PREVIEW_TIMEOUT)
        self.desk = desk
        self.data = data
        self.edit = edit
        if draft is not None:
            self.headline.default = draft.headline
            self.body.default = draft.body

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Save what was typed as a new version."""
        await self.desk.interaction_check(interaction)
        headline, body = self.headline.value.strip(), self.body.value.strip()
        if not headline or not body:
            raise BadInputError("A recap needs a headline and a body; nothing was saved.")
        await self.desk.save_recap(interaction, self.data, headline, body, edit=self.edit)


class RecapPreview(View):
    """Publish, Edit and Discard under a private preview; only its author can press them."""

    def __init__(self, desk: ModeratorDesk, data: RaceData, version: RecapVersion, author_id: int) -> None:
        super().__init__(timeout=PREVIEW_TIMEOUT)
        self.desk = desk
        self.data = data
        self.version = version
        self.author_id = author_id

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Let only the moderator who wrote the draft press its buttons, and only while still a moderator."""
        if interaction.user.id != self.author_id:
            await reply_private(interaction, "This preview belongs to the moderator who wrote it.")
            return False
        return await self.desk.interaction_check(interaction)

    @discord.ui.button(label="Publish", style=discord.ButtonStyle.success)
    async def publish(self, interaction: discord.Interaction, _: discord.ui.Button["RecapPreview"]) -> None:
        """Post this version to the recap channel."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await self.desk.publish_from_preview(interaction, self.data, self.version)
        self.stop()
        await interaction.edit_original_response(content=report, embed=None, view=None)

    @discord.ui.button(label="Edit", style=discord.ButtonStyle.primary)
    async def edit(self, interaction: discord.Interaction, _: discord.ui.Button["RecapPreview"]) -> None:
        """Reopen the form with this version filled in; saving makes a new version."""
        await interaction.response.send_modal(RecapModal(self.desk, self.data, edit=True, draft=self.version))
        self.stop()

    @discord.ui.button(label="Discard", style=discord.ButtonStyle.danger)
    async def discard(self, interaction: discord.Interaction, _: discord.ui.Button["RecapPreview"]) -> None:
        """Drop this draft; it stays in the history, marked discarded."""
        if not await self.desk.discard_version(interaction, self.data.race, self.version):
            raise BadInputError("That version was published already, so it can't be discarded.")
        self.stop()
        await interaction.response.edit_message(
            content=f"Discarded version {self.version.version}. It stays in `/manage recap history`, marked discarded.",
            embed=None,
            view=None,
        )


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

    def __init__(self, desk: ModeratorDesk, race: Race) -> None:
        super().__init__(title=f"Quote: {race.season} {race.name}"[:45], timeout=PREVIEW_TIMEOUT)
        self.desk = desk
        self.race = race

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Check the link and store the quote."""
        await self.desk.interaction_check(interaction)
        fields = {
            "speaker": self.speaker.value,
            "text": self.text.value,
            "context": self.context.value,
            "source": self.source.value,
        }
        await self.desk.save_quote(interaction, self.race, fields)
