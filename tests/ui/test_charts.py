"""A chart as a Discord message: the picture shown in an embed, its description as the alt text."""

from bot.charts.data import ChartKind
from bot.charts.service import Chart, ChartService
from bot.store import Store
from bot.ui.charts import chart_message
from tests.chart_fakes import race_id_of


async def test_chart_message_shows_the_picture_in_an_embed(store: Store, service: ChartService):
    chart = await service.render(await race_id_of(store), ChartKind.START_FINISH)
    message = chart_message(chart)
    assert message.file.filename == "start-finish-2025-baptist-health-200.png"
    assert message.embed is not None
    assert message.embed.image.url == "attachment://start-finish-2025-baptist-health-200.png"
    assert message.file.description == message.embed.description == chart.description
    assert message.content is None


def test_a_note_opens_the_chart_message_but_not_the_pictures_own_description():
    note = "Latest race with results: 2025 Baptist Health 200 (the 2025 Long John Silver's 200 has none stored)"
    chart = Chart(
        png=b"png",
        filename="laps-led-2025-baptist-health-200.png",
        title="Laps led · 2025 Baptist Health 200",
        description="Bar chart of laps led in the 2025 Baptist Health 200: Kyle Larson 62.",
        caption="Source: Pit Board race store.",
        kind=ChartKind.LAPS_LED,
        race_id=1,
    )
    message = chart_message(chart, note=note)
    assert message.embed is not None
    assert (message.embed.description or "").splitlines() == [note, chart.description]
    assert message.file.description == chart.description  # what the picture is, for screen readers
    hidden = chart_message(chart, spoiler=True, note=note)
    assert (hidden.content or "").splitlines()[0] == note
    assert (hidden.content or "").splitlines()[1].startswith("**Laps led · 2025 Baptist Health 200** · spoiler-safe")
    assert note not in (hidden.file.description or "")


def test_a_spoiler_safe_chart_with_a_note_stays_within_a_messages_2000_characters():
    # Every part as long as it may be, and made longer by escaping: the note takes its room from the description.
    chart = Chart(
        png=b"png",
        filename="laps-led.png",
        title="*" * 256,
        description="_" * 1024,
        caption="~" * 500,
        kind=ChartKind.LAPS_LED,
        race_id=1,
    )
    note = "Latest race with results: " + "\\*" * 300
    hidden = chart_message(chart, spoiler=True, note=note)
    content = hidden.content or ""
    assert len(content) <= 2000
    assert content.startswith("Latest race with results")
