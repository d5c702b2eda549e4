"""One verdict cache shared by processes judging at once, killed mid-write, or out of disk."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from fake_server import FakeJudgeServer

from medfr_eval.core.errors import DataError
from medfr_eval.judge.cache import VerdictCache
from medfr_eval.judge.check import check_judge
from medfr_eval.judge.config import JudgeConfig
from medfr_eval.judge.engine import Judge, JudgeItem

HERE = Path(__file__).parent


def item(i: int) -> JudgeItem:
    return JudgeItem(f"Question numéro {i} ?", f"Réponse {i}.", f"Référence {i}.")


def raw_for(prompt: str) -> str:
    """A verdict text unique to each item, so a verdict stored under another item's key shows."""
    number = prompt.split("Question numéro ", 1)[1].split(" ", 1)[0]
    return f"{int(number) % 2} #{number}"


def _judge_range(url: str, cache: str, start: int, stop: int, queue) -> None:
    config = JudgeConfig(model="juge", url=url, cache_path=cache, concurrency=4)
    verdicts = Judge(config).judge([item(i) for i in range(start, stop)])
    queue.put({i: v.raw for i, v in zip(range(start, stop), verdicts, strict=True)})


def test_two_processes_judging_at_once_lose_and_cross_no_verdict(judge_env, tmp_path):
    cache = str(tmp_path / "shared.sqlite3")
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    with FakeJudgeServer(raw_for, delay=0.002) as server:
        procs = [
            ctx.Process(target=_judge_range, args=(server.url, cache, a, b, queue))
            for a, b in ((0, 120), (60, 180))  # 60 items judged by both at once
        ]
        for p in procs:
            p.start()
        answers = [queue.get(timeout=120) for _ in procs]
        for p in procs:
            p.join(30)
    assert [p.exitcode for p in procs] == [0, 0]
    for got in answers:
        assert all(raw == f"{i % 2} #{i}" for i, raw in got.items())
    assert 180 <= server.requests <= 240  # each item asked at most once per process
    ident = Judge(JudgeConfig(model="juge", url=server.url)).identity
    from medfr_eval.judge.cache import verdict_key

    with VerdictCache(cache) as store:
        assert len(store) == 180
        keys = {verdict_key(ident, it.full_question, it.answer, it.reference): i
                for i, it in ((i, item(i)) for i in range(180))}  # fmt: skip
        stored = store.get_many(keys)
        assert {keys[k]: raw for k, raw in stored.items()} == {
            i: f"{i % 2} #{i}" for i in range(180)
        }


WRITER = textwrap.dedent(
    """
    import sys, time
    from medfr_eval.judge.config import JudgeConfig
    from medfr_eval.judge.engine import Judge, JudgeItem

    class Slow:
        def ask_many(self, prompts):
            for i, p in enumerate(prompts):
                if i == 5:
                    print("writing", flush=True)
                time.sleep(0.005)
                yield i, p.split("Question numéro ", 1)[1].split(" ", 1)[0]

    cfg = JudgeConfig(model="juge", url="http://127.0.0.1:9/v1", cache_path=sys.argv[1])
    items = [JudgeItem(f"Question numéro {i} ?", "R.", "Réf.") for i in range(int(sys.argv[2]))]
    verdicts = Judge(cfg, backend=Slow()).judge(items)
    print("done", sum(v.cached for v in verdicts), flush=True)
    """
)


def _writer(cache: Path, n: int, limit: int | None = None) -> subprocess.Popen:
    code = WRITER
    if limit is not None:  # a file-size limit: writes past it fail as on a full disk
        code = (
            "import resource, signal\n"
            "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
            f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))\n" + code
        )
    return subprocess.Popen(
        [sys.executable, "-c", code, str(cache), str(n)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _rows(cache: Path) -> dict[str, str]:
    db = sqlite3.connect(cache)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return dict(db.execute("SELECT key, raw FROM verdicts"))
    finally:
        db.close()


def test_kill_9_mid_write_leaves_a_whole_cache_and_the_rerun_completes(tmp_path):
    cache = tmp_path / "v.sqlite3"
    proc = _writer(cache, 2000)
    assert proc.stdout.readline().strip() == "writing"
    time.sleep(0.3)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    kept = _rows(cache)
    assert 0 < len(kept) < 2000
    rerun = _writer(cache, 2000)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    assert out.split()[-1] == str(len(kept))  # what was stored is reused, the rest is asked
    assert len(_rows(cache)) == 2000


def test_a_full_disk_keeps_the_verdicts_and_the_stored_ones(tmp_path):
    cache = tmp_path / "v.sqlite3"
    first = _writer(cache, 20)
    assert first.wait(60) == 0
    before = _rows(cache)
    assert cache.stat().st_size < 16384
    # sqlite's shared-memory file is 32 KiB; a few more KiB let the log take a few writes only
    full = _writer(cache, 3000, limit=40960)
    out, err = full.communicate(timeout=120)
    assert full.returncode == 0, err  # the run goes on: verdicts are in its results
    assert out.split()[-1] == "20" and "verdict cache not written" in err
    after = _rows(cache)
    assert {k: after[k] for k in before} == before  # nothing stored is lost or changed
    rerun = _writer(cache, 3000)
    assert rerun.wait(120) == 0 and len(_rows(cache)) == 3000


# --------------------------------------------------------------------- not a verdict cache


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


def _text(path: Path) -> Path:
    path.write_text("juste du texte, pas une base\n" * 100)
    return path


def _other_table(path: Path) -> Path:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE verdicts (id INTEGER PRIMARY KEY, text TEXT)")
    db.commit()
    db.close()
    return path


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (_folder, "is a folder"),
        (_text, "not a medfr verdict cache (file is not a database)"),
        (_other_table, "other columns (id, text)"),
    ],
)
def test_a_cache_path_that_is_no_verdict_cache_is_one_line(judge_env, tmp_path, make, needle):
    path = make(tmp_path / "verdicts.sqlite3")
    judge_env.setenv("MEDFR_JUDGE_MODEL", "juge")
    judge_env.setenv("MEDFR_JUDGE_URL", "http://127.0.0.1:8000/v1")
    judge_env.setenv("MEDFR_JUDGE_CACHE", str(path))
    with pytest.raises(DataError) as err:
        check_judge(["medfr_kqa"])
    assert needle in str(err.value) and err.value.field == "MEDFR_JUDGE_CACHE"
    assert "\n" not in str(err.value)
    assert check_judge(["medfr_medqa_4opt"]) is None  # nothing judged: nothing checked
