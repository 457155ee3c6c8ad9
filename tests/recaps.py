"""Recording a server's published recap in the store, as /manage recap publish does, for tests that need one."""

from bot.store import Store


async def publish(
    store: Store, guild_id: int, race_id: int, version: int, *, user_id: int, edited: bool = False
) -> None:
    """Record that the server posted this version of its recap of the race (in channel 1, message 2)."""
    await store.record_recap_post(
        guild_id=guild_id,
        race_id=race_id,
        channel_id=1,
        message_id=2,
        thread_id=None,
        version=version,
        user_id=user_id,
        edited=edited,
    )
