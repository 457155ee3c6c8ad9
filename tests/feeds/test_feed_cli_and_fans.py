"""A whole weekend-feed.json imported through the real command line, then asked about through the fan commands."""

import json
import shutil
from pathlib import Path

from bot.store import open_store
from tests.cli_runs import run_cli, the_error
from tests.fan_fakes import embed_of, fields, invoke, lines, make_interaction, races_cog, text_of
from tests.feeds import weekend_feeds as feeds


def _write(tmp_path: Path, feed: dict, name: str = "weekend-feed.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(feed), encoding="utf-8")
    return path


def _database(seeded_file: Path, tmp_path: Path) -> Path:
    database = tmp_path / "pitboard.db"
    shutil.copyfile(seeded_file, database)
    return database


def test_cli_refuses_a_new_race_without_a_round_in_one_line(seeded_file: Path, tmp_path: Path):
    database = _database(seeded_file, tmp_path)
    done = run_cli("import", "nascar-feed", str(_write(tmp_path, feeds.martinsville_truck())), database=database)
    assert done.returncode == 2
    assert "--round N" in the_error(done)
    broken = tmp_path / "broken.json"
    broken.write_text("{oops", encoding="utf-8")
    done = run_cli("import", "nascar-feed", str(broken), database=database)
    assert done.returncode == 2 and "is not JSON" in the_error(done)


async def test_cli_imports_a_weekend_and_fans_see_it(seeded_file: Path, tmp_path: Path):
    database = _database(seeded_file, tmp_path)
    provisional = feeds.martinsville_truck()
    path = _write(tmp_path, provisional)
    done = run_cli("import", "nascar-feed", str(path), "--round", "12", database=database)
    assert done.returncode == 0, done.stderr
    assert "2025 Clean Harbors 200 (Martinsville Speedway): truck 2025 round 12" in done.stdout
    assert "results provisional · version 1" in done.stdout
    assert "Entries: 8 · stages with results: 2 · cautions: 2 · lead changes: 4" in done.stdout
    again = run_cli("import", "nascar-feed", str(path), database=database)
    assert again.returncode == 0 and "unchanged" in again.stdout
    penalty = run_cli("import", "nascar-feed", str(_write(tmp_path, feeds.disqualify(provisional, "11"), "2.json")),
                      database=database)  # fmt: skip
    assert penalty.returncode == 0 and "version 2" in penalty.stdout
    assert "  #11 Corey Heim disqualified" in penalty.stdout

    store = await open_store(database)
    try:
        races = races_cog(store)
        interaction = make_interaction()
        await invoke(races.results, interaction, race="Clean Harbors 200")
        embed = embed_of(interaction)
        firsts = [line for line in lines(embed) if line.startswith("**")]
        assert firsts[0].startswith("**1st** #1 Ross Chastain")
        assert any(line.startswith("**4th** #07 Kyle Larson") for line in firsts)  # the official number
        version = fields(embed)["Results version"]
        assert version.startswith("Version 2 (provisional): #11 Corey Heim disqualified")
        assert "#1 Ross Chastain 2nd → 1st" in version and "Why: " in version
        assert embed.footer.text is not None and embed.footer.text.endswith("data: NASCAR")
        assert "Provisional" in embed.footer.text

        interaction = make_interaction()
        await invoke(races.stages, interaction, race="Clean Harbors 200")
        stages = embed_of(interaction)
        assert list(fields(stages)) == ["Stage 1 (laps 1-60)", "Stage 2 (laps 61-120)"]
        assert fields(stages)["Stage 1 (laps 1-60)"].startswith("1. #11 Corey Heim")
        assert "data: NASCAR" in (stages.footer.text or "")

        interaction = make_interaction()
        await invoke(races.recap, interaction, race="Clean Harbors 200")
        recap = text_of(embed_of(interaction))
        assert "swapping it 3 times" in recap
        assert "The race saw 2 cautions for 14 laps." in recap
        assert "The longest caution, for competition, ran from lap 61 to lap 67." in recap
        assert "Corey Heim took the lead for the last time on lap 171." in recap
        assert "NASCAR's own sentence" not in recap  # race_comments is never ours to show
        assert "data: NASCAR" in recap
    finally:
        await store.close()
