"""A chart as a Discord message: the picture shown in an embed, its description as the alt text."""

from bot.charts.data import ChartKind
from bot.charts.service import ChartService
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
