"""Announcing new races: watermarks, the first import, once per server across restarts, spoilers, drafts, failures."""

import datetime as dt
import io
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord
import pytest

from bot.announce import MOST_AT_ONCE, Announcer
from bot.catalog import Catalog
from bot.facts.spoilers import SpoilerPolicy, spoiler_active, spoiler_window
from bot.importers.nascar_data import parse_history
from bot.racefiles import parse_results
from bot.store import Store
from bot.store.announcements import first_import_key
from bot.store.models import RaceSummary
from bot.ui.announcements import DraftButton
from tests.history_data import history_csv
from tests.stores import open_test_store

pytestmark = pytest.mark.backends("sqlite", "postgres")

BOT_ID, MOD_ID = 999, 7
GUILD, OTHER, THIRD = 4242, 4343, 4444
RECAPS, MODS = 900, 901
TRUCK = ("NASCAR Craftsman Truck Series", "truck")


def http_error(kind: type[discord.HTTPException], status: int) -> discord.HTTPException:
    response = MagicMock(status=status, reason="refused")
    return kind(response, "refused")


class FakeChannel:
    """A text channel that records what is sent to it, or fails as told."""

    def __init__(self, channel_id: int, fail: discord.HTTPException | None = None) -> None:
        self.mock = MagicMock(spec=discord.TextChannel)
        self.mock.id = channel_id
        self.sent: list[dict[str, Any]] = []
        self.fail = fail
        self.mock.send = AsyncMock(side_effect=self._send)

    async def _send(self, **kwargs: Any) -> discord.Message:
        if self.fail is not None:
            raise self.fail
        self.sent.append(kwargs)
        message = MagicMock(spec=discord.Message)
        message.id = 10_000 + len(self.sent)
        return message


def fake_client(*channels: FakeChannel) -> MagicMock:
    """Return the bot as the announcer sees it: its user, and the channels it can find (others are gone)."""
    client = MagicMock(spec=discord.Client)
    client.user = MagicMock(spec=discord.ClientUser)
    client.user.id = BOT_ID
    by_id = {c.mock.id: c.mock for c in channels}
    client.get_channel.side_effect = by_id.get
    client.fetch_channel = AsyncMock(side_effect=http_error(discord.NotFound, 404))
    return client


def announcer(store: Store, client: MagicMock, follow: tuple[str, ...] = ("truck",)) -> Announcer:
    catalog = Catalog(store)
    return Announcer(client, store, catalog, SpoilerPolicy(catalog.guild_settings), follow)


async def import_truck(store: Store, text: str) -> None:
    await store.import_history(parse_history(io.StringIO(text), series="truck", source="truck.csv"), series=TRUCK)


async def announcing(store: Store, guild: int = GUILD, recaps: int = RECAPS, mods: int | None = None) -> None:
    """Have a server announce: its recap channel (and moderators' channel), then announcements on."""
    await store.update_guild_settings(guild, MOD_ID, setting="recap_channel_id", value=recaps, detail="recaps")
    if mods is not None:
        await store.set_mod_channel(guild, MOD_ID, mods, detail="mods")
    await store.set_announce(guild, MOD_ID, on=True)


def card_ids(channel: FakeChannel) -> list[str]:
    return [item.custom_id for sent in channel.sent for item in sent["view"].children]  # type: ignore[attr-defined]


def race_ids(channel: FakeChannel) -> list[int]:
    return [int(cid.rsplit(":", 1)[1]) for cid in card_ids(channel) if cid.startswith("pitboard:card-results:")]


async def race_named(store: Store, season: int, round_: int) -> RaceSummary:
    return next(r for r in await store.race_summaries() if (r.season, r.round) == (season, round_))


# --- which races are announced --------------------------------------------------------------------------------


async def test_only_races_newer_than_the_newest_stored_when_turned_on_are_announced(store: Store):
    recaps = FakeChannel(RECAPS)
    await announcing(store)  # the newest truck race stored now is the curated 2025 round 4
    synthetic = history_csv()
    await import_truck(store, synthetic.only(2023, 2024))
    assert await announcer(store, fake_client(recaps)).announce_new_races() == 0

    await import_truck(store, synthetic.text)  # brings 2025 rounds 1, 2, 3 (older) and 5 (newer)
    assert await announcer(store, fake_client(recaps)).announce_new_races() == 1
    martinsville = await race_named(store, 2025, 5)
    assert race_ids(recaps) == [martinsville.id]
    (card,) = recaps.sent
    embed: discord.Embed = card["embed"]
    assert embed.title == "Results are in: 2025 Long John Silver's 200"
    assert "**Winner:** #11 Corey Heim" in (embed.description or "")
    assert embed.footer.text and "DriverAverages.com via nascaR.data" in embed.footer.text
    mentions = card["allowed_mentions"]
    assert (mentions.everyone, mentions.users, mentions.roles) == (False, False, False)
    assert card_ids(recaps) == [f"pitboard:card-results:{martinsville.id}", f"pitboard:card-recap:{martinsville.id}"]
    assert len(embed) <= 6000


async def test_each_race_is_announced_once_per_server_even_after_a_restart(
    store: Store, tmp_path: Path, server_data_url: str | None
):
    recaps = FakeChannel(RECAPS)
    await announcing(store)
    await import_truck(store, history_csv().only(2023, 2024))
    await import_truck(store, history_csv().text)
    assert await announcer(store, fake_client(recaps)).announce_new_races() == 1
    assert await announcer(store, fake_client(recaps)).announce_new_races() == 0  # a second pass

    # A restart: a new connection to the same file, a new catalog and announcer.
    reopened = await open_test_store(tmp_path / "pitboard.db", server_data_url)
    try:
        assert await announcer(reopened, fake_client(recaps)).announce_new_races() == 0
        (sent,) = await reopened.announcements(GUILD)
    finally:
        await reopened.close()
    assert len(recaps.sent) == 1
    assert (sent.kind, sent.status, sent.message_id, sent.recap_version) == ("results", "sent", 10_001, 1)


async def test_a_claim_left_pending_by_a_crash_is_never_posted(store: Store):
    recaps = FakeChannel(RECAPS)
    await announcing(store)
    await import_truck(store, history_csv().only(2023, 2024))
    await import_truck(store, history_csv().text)
    martinsville = await race_named(store, 2025, 5)
    assert await store.claim_announcement(GUILD, martinsville.id, "results", RECAPS)  # then the process died
    assert await announcer(store, fake_client(recaps)).announce_new_races() == 0
    assert recaps.sent == []
    assert [a.status for a in await store.announcements(GUILD)] == ["pending"]


async def test_the_first_import_of_a_whole_history_announces_nothing(empty_store: Store):
    recaps = FakeChannel(RECAPS)
    await announcing(empty_store)  # nothing stored yet: no watermark, any race would be newer
    synthetic = history_csv()
    await import_truck(empty_store, synthetic.only(2023, 2024))
    assert await empty_store.meta_value(first_import_key("truck")) == "2024:6"
    assert await announcer(empty_store, fake_client(recaps)).announce_new_races() == 0

    await import_truck(empty_store, synthetic.text)  # the 2025 season arrives: five races after the first import
    assert await announcer(empty_store, fake_client(recaps)).announce_new_races() == 5
    rounds = [(await empty_store.race(race_id)) for race_id in race_ids(recaps)]
    assert [(r.season, r.round) for r in rounds if r] == [(2025, 1), (2025, 2), (2025, 3), (2025, 4), (2025, 5)]


async def test_a_whole_history_due_at_once_is_passed_over_not_posted(empty_store: Store):
    recaps = FakeChannel(RECAPS)
    await announcing(empty_store)
    await import_truck(empty_store, history_csv().text)
    # As if the history had been loaded with no first-import mark: every race of it is due.
    async with empty_store._transaction() as conn:
        await conn.execute("DELETE FROM meta WHERE key = ?", (first_import_key("truck"),))
    assert await announcer(empty_store, fake_client(recaps)).announce_new_races() == 0
    assert recaps.sent == []
    entry = (await empty_store.audit_entries(GUILD))[0]
    assert entry.user_id is None and "a history being loaded" in entry.detail
    assert entry.detail.startswith("19 truck races arrived at once") and MOST_AT_ONCE < 19
    assert await announcer(empty_store, fake_client(recaps)).announce_new_races() == 0  # the watermark moved


async def test_uploads_are_never_announced(store: Store):
    recaps = FakeChannel(RECAPS)
    await announcing(store)
    entries, errors = parse_results("finish,car,driver\n1,07,Alex Able\n2,7,Bea Bright\n", "results.csv")
    assert not errors
    await store.import_guild_results(
        guild_id=GUILD,
        user_id=MOD_ID,
        series=TRUCK,
        season=2025,
        round_=9,
        name="Club 150",
        track="Club Oval",
        date=dt.date(2025, 6, 1),
        entries=entries,
    )
    assert await announcer(store, fake_client(recaps)).announce_new_races() == 0


async def test_only_servers_with_announcements_on_get_the_series_they_follow(store: Store):
    channels = {guild: FakeChannel(channel) for guild, channel in ((GUILD, 900), (OTHER, 910), (THIRD, 920))}
    await announcing(store, GUILD, 900)
    await store.update_guild_settings(OTHER, MOD_ID, setting="recap_channel_id", value=910, detail="recaps")
    await announcing(store, THIRD, 920)
    await store.set_followed_series(THIRD, MOD_ID, ("cup",), detail="cup only")
    await import_truck(store, history_csv().only(2023, 2024))
    await import_truck(store, history_csv().text)
    client = fake_client(*channels.values())
    assert await announcer(store, client).announce_new_races() == 1
    assert [len(channels[g].sent) for g in (GUILD, OTHER, THIRD)] == [1, 0, 0]
    # A bot that follows nothing announces nothing.
    await store.set_followed_series(THIRD, MOD_ID, (), detail="all")
    assert await announcer(store, client, follow=()).announce_new_races() == 0


async def test_announcements_turned_off_and_on_again_start_from_the_races_stored_then(store: Store):
    recaps = FakeChannel(RECAPS)
    await announcing(store)
    await store.set_announce(GUILD, MOD_ID, on=False)
    await import_truck(store, history_csv().only(2023, 2024))
    await import_truck(store, history_csv().text)
    await store.set_announce(GUILD, MOD_ID, on=True)  # now the newest stored is 2025 round 5
    assert await announcer(store, fake_client(recaps)).announce_new_races() == 0


# --- what is posted -------------------------------------------------------------------------------------------


async def test_spoiler_safe_mode_hides_the_cards_results(store: Store):
    recaps = FakeChannel(RECAPS)
    await announcing(store)
    await store.update_guild_settings(GUILD, MOD_ID, setting="spoiler_hours", value=24, detail="24 hours")
    await import_truck(store, history_csv().only(2023, 2024))
    await import_truck(store, history_csv().text)
    assert await announcer(store, fake_client(recaps)).announce_new_races() == 1
    embed: discord.Embed = recaps.sent[0]["embed"]
    text = f"{embed.description} {[f.value for f in embed.fields]}"
    assert "Heim" not in text and "Winner" not in text
    assert "hidden until" in text and "privately" in text


async def test_the_draft_is_saved_by_pit_board_and_the_moderators_get_a_notice(store: Store):
    recaps, mods = FakeChannel(RECAPS), FakeChannel(MODS)
    await announcing(store, mods=MODS)
    await import_truck(store, history_csv().only(2023, 2024))
    await import_truck(store, history_csv().text)
    assert await announcer(store, fake_client(recaps, mods)).announce_new_races() == 1
    martinsville = await race_named(store, 2025, 5)
    (draft,) = await store.recap_versions(GUILD, martinsville.id)
    assert (draft.version, draft.author_id, draft.discarded) == (1, BOT_ID, False)
    assert draft.headline == "Corey Heim wins the 2025 Long John Silver's 200"
    assert "Heim" in draft.body and len(draft.body) <= 4000

    (notice,) = mods.sent
    assert notice["embed"].title == "Draft recap: 2025 Long John Silver's 200"
    assert "Heim" not in (notice["embed"].description or "")  # moderators may avoid spoilers too
    buttons = notice["view"].children
    assert [b.item.label for b in buttons] == ["Review", "Publish", "Discard"]
    for button, action in zip(buttons, ("review", "publish", "discard"), strict=True):
        match = DraftButton.__discord_ui_compiled_template__.fullmatch(button.custom_id)
        assert match is not None
        parsed = await DraftButton.from_custom_id(MagicMock(), button.item, match)
        assert (parsed.action, parsed.draft.guild_id, parsed.draft.race_id, parsed.draft.version) == (
            action,
            GUILD,
            martinsville.id,
            1,
        )
        assert len(button.custom_id) <= 100
    assert any(e.user_id is None and "saved a draft recap" in e.detail for e in await store.audit_entries(GUILD))


async def test_with_no_moderators_channel_the_draft_is_still_saved_without_a_notice(store: Store):
    recaps = FakeChannel(RECAPS)
    await announcing(store)
    await import_truck(store, history_csv().only(2023, 2024))
    await import_truck(store, history_csv().text)
    client = fake_client(recaps)
    assert await announcer(store, client).announce_new_races() == 1
    assert len(await store.recap_versions(GUILD, (await race_named(store, 2025, 5)).id)) == 1
    assert len(recaps.sent) == 1


# --- failures ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("failure", ["deleted", "forbidden"])
async def test_a_failed_card_is_reported_once_then_stops_until_the_channel_is_set_again(store: Store, failure: str):
    gone = failure == "deleted"
    recaps = FakeChannel(RECAPS, fail=None if gone else http_error(discord.Forbidden, 403))
    mods = FakeChannel(MODS)
    await announcing(store, mods=MODS)
    await import_truck(store, history_csv().only(2023, 2024))
    await import_truck(store, history_csv().text)
    client = fake_client(mods) if gone else fake_client(recaps, mods)
    for _ in range(3):  # reported once, not retried forever
        assert await announcer(store, client).announce_new_races() == 0
    (report,) = mods.sent
    assert report["embed"].title == "An automated post stopped"
    assert "recap-channel" in (report["embed"].description or "")
    stops = [e for e in await store.audit_entries(GUILD) if e.action == "automated post stopped"]
    assert len(stops) == 1 and stops[0].user_id is None
    assert [s.kind for s in await store.post_stops(GUILD)] == ["results"]
    assert await store.announcements(GUILD) == []  # nothing was posted, so nothing is recorded as announced

    # The moderators fix it by choosing the recap channel again: the card goes out, once.
    recaps.fail = None
    await store.update_guild_settings(GUILD, MOD_ID, setting="recap_channel_id", value=RECAPS, detail="again")
    assert await store.post_stops(GUILD) == []
    assert await announcer(store, fake_client(recaps, mods)).announce_new_races() == 1
    assert await announcer(store, fake_client(recaps, mods)).announce_new_races() == 0
    assert len(recaps.sent) == 1


async def test_turning_announcements_on_again_lifts_a_stop(store: Store):
    await announcing(store)
    assert await store.stop_posts(GUILD, "results", RECAPS, "gone")
    assert not await store.stop_posts(GUILD, "results", RECAPS, "gone again")  # once
    await store.set_announce(GUILD, MOD_ID, on=True)
    assert await store.post_stops(GUILD) == []


async def test_a_failed_notice_stops_notices_but_not_cards_or_drafts(store: Store):
    recaps = FakeChannel(RECAPS)
    await announcing(store, mods=MODS)
    await import_truck(store, history_csv().only(2023, 2024))
    await import_truck(store, history_csv().text)
    assert await announcer(store, fake_client(recaps)).announce_new_races() == 1  # the moderators' channel is gone
    assert [s.kind for s in await store.post_stops(GUILD)] == ["mod-notice"]
    assert len(await store.recap_versions(GUILD, (await race_named(store, 2025, 5)).id)) == 1
    await store.set_mod_channel(GUILD, MOD_ID, MODS, detail="again")
    assert await store.post_stops(GUILD) == []


# --- arrival and spoiler-safe windows ------------------------------------------------------------------------


async def test_a_race_with_no_date_hides_its_results_from_its_arrival(empty_store: Store):
    await import_truck(empty_store, history_csv().only(2023, 2024))
    first = await empty_store.race_summaries()
    assert first and all(r.arrived_at is None for r in first)  # the first import's history: no news
    await import_truck(empty_store, history_csv().text)
    newest = (await empty_store.race_summaries())[0]
    assert (newest.season, newest.round, newest.date_precision) == (2025, 5, "season")
    assert newest.arrived_at is not None
    race = await empty_store.race(newest.id)
    assert race is not None and race.arrived_at == newest.arrived_at
    window = spoiler_window(newest, 24)
    assert window == (newest.arrived_at, newest.arrived_at + dt.timedelta(hours=24))
    assert spoiler_active(newest, 24, newest.arrived_at + dt.timedelta(hours=23))
    assert not spoiler_active(newest, 24, newest.arrived_at + dt.timedelta(hours=25))
    assert spoiler_window(first[0], 24) is None


async def test_discord_unable_to_find_the_channel_for_a_while_stops_nothing_and_the_card_goes_out_later(store: Store):
    recaps = FakeChannel(RECAPS)
    await announcing(store)
    await import_truck(store, history_csv().only(2023, 2024))
    await import_truck(store, history_csv().text)
    outage = fake_client()  # the channel is not cached, and Discord answers 503 when asked for it
    outage.fetch_channel = AsyncMock(side_effect=http_error(discord.DiscordServerError, 503))
    assert await announcer(store, outage).announce_new_races() == 0
    assert await store.post_stops(GUILD) == []  # nothing is stopped for an outage
    assert await store.announcements(GUILD) == []  # and nothing claimed: nothing was sent
    assert await announcer(store, fake_client(recaps)).announce_new_races() == 1
    assert len(recaps.sent) == 1


async def test_a_card_whose_facts_cannot_be_read_is_not_claimed(store: Store, monkeypatch: pytest.MonkeyPatch):
    recaps = FakeChannel(RECAPS)
    await announcing(store)
    await import_truck(store, history_csv().only(2023, 2024))
    await import_truck(store, history_csv().text)
    broken = announcer(store, fake_client(recaps))

    async def unreadable(race_id: int) -> object:
        raise RuntimeError("the database is busy")

    monkeypatch.setattr(broken.catalog, "race_data", unreadable)
    with pytest.raises(RuntimeError):
        await broken.announce_new_races()
    assert await store.announcements(GUILD) == []  # nothing left pending for ever
    assert await announcer(store, fake_client(recaps)).announce_new_races() == 1
