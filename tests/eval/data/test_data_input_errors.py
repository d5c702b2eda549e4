"""Bad data input: each case is one line naming file, line and field, exit 2, nothing written.

The cases are what a careless or hostile file does: a wrong gold letter, input that
would raise a traceback, a file left 0600, a stray temp file, an off-by-one line number.
"""

from __future__ import annotations

import csv
import json
import os
import stat

import pytest

from medfr_eval.cli import data_main as main
from medfr_eval.core.errors import DataError

Q = "Quel organe sécrète l'insuline ?"
OPTS = {"a": "Le foie", "b": "Le pancréas", "c": "La rate", "d": "Le rein"}


def _row(qid: str, gold) -> dict:
    return {"qid": qid, "q": Q, **OPTS, "gold": gold}


def _write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return path


def _convert(src, out, fmt="index1", extra=()):
    return main(
        [
            "convert",
            str(src),
            "--set",
            "medmcqa",
            "-o",
            str(out),
            "--map",
            "id=qid",
            "--map",
            "question=q",
            "--map",
            "options=a,b,c,d",
            "--map",
            "answer=gold",
            "--answer-format",
            fmt,
            *extra,
        ]
    )


def _one_line(err: str) -> str:
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize(
    ("fmt", "bad"),
    [
        ("index1", 0),
        ("index1", "0"),
        ("index0", -1),
        ("index1", 5),
        ("index0", 4),
        ("index1", 1.5),
        ("index1", True),
        ("index0", 1e400),
    ],
)
def test_index_outside_the_options_is_an_error_not_gold_E(tmp_path, capsys, fmt, bad):
    src = _write_jsonl(tmp_path / "in.jsonl", [_row("1", 1), _row("2", bad)])
    out = tmp_path / "medmcqa.jsonl"
    assert _convert(src, out, fmt) == 2
    err = _one_line(capsys.readouterr().err)
    assert f"{src}:2: answer: cannot read answer" in err and "expected a whole number" in err
    assert not out.exists() and not list(tmp_path.glob("*.tmp"))


def test_index_formats_in_range_still_convert(tmp_path):
    src = _write_jsonl(tmp_path / "in.jsonl", [_row("1", 1), _row("2", 4.0)])
    out = tmp_path / "medmcqa.jsonl"
    assert _convert(src, out, "index1") == 0
    assert [json.loads(x)["answer"] for x in out.read_text().splitlines()] == ["A", "D"]


def test_non_utf8_data_file_names_file_and_line(tmp_path, capsys):
    good = {"id": "1", "question": "q", "options": ["a", "b", "c", "d"], "answer": "A"}
    path = tmp_path / "medqa_4opt.jsonl"
    path.write_bytes(
        (json.dumps(good) + "\n").encode() + '{"id": "2", "question": "fièvre"}\n'.encode("latin-1")
    )
    assert main(["validate", str(path)]) == 2
    err = _one_line(capsys.readouterr().err)
    assert err.startswith(f"error: {path}:2: not UTF-8") and "Latin-1" in err
    # the loader lm-eval calls: the same error, not a UnicodeDecodeError traceback
    from medfr_eval.data.load import load_records

    with pytest.raises(DataError, match=r"medqa_4opt.jsonl:2: not UTF-8"):
        load_records("medqa_4opt", str(tmp_path))


def test_excel_csv_with_bom_reads(tmp_path):
    src = tmp_path / "in.csv"
    with src.open("w", newline="", encoding="utf-8-sig") as fh:  # Excel's "CSV UTF-8"
        writer = csv.DictWriter(fh, fieldnames=list(_row("1", 2)))
        writer.writeheader()
        writer.writerows([_row("1", 2), _row("2", 1)])
    out = tmp_path / "medmcqa.jsonl"
    assert _convert(src, out) == 0
    assert json.loads(out.read_text().splitlines()[0])["id"] == "1"


def test_latin1_csv_is_one_line_with_the_line(tmp_path, capsys):
    src = tmp_path / "in.csv"
    header = ",".join(_row("1", 2)) + "\n"
    src.write_bytes((header + "1,q,a,b,c,d,1\n2,fièvre,a,b,c,d,1\n").encode("latin-1"))
    assert _convert(src, tmp_path / "medmcqa.jsonl") == 2
    assert _one_line(capsys.readouterr().err).startswith(f"error: {src}:3: not UTF-8")


def test_csv_field_over_128k_reads(tmp_path):
    src = tmp_path / "in.csv"
    long_q = "Une très longue vignette clinique. " * 6000  # ~200 KB
    with src.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(_row("1", 2)))
        writer.writeheader()
        writer.writerow({**_row("1", 2), "q": long_q})
    out = tmp_path / "medmcqa.jsonl"
    assert _convert(src, out) == 0
    assert len(json.loads(out.read_text())["question"]) == len(long_q)
    assert csv.field_size_limit() == 131072  # the process-wide limit is put back


def test_csv_line_numbers_are_file_lines_even_with_multiline_cells(tmp_path, capsys):
    src = tmp_path / "in.csv"
    with src.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(_row("1", 2)))
        writer.writeheader()
        writer.writerow({**_row("1", 2), "q": "sur\ndeux lignes"})  # lines 2-3
        writer.writerow(_row("2", 9))  # line 4
    assert _convert(src, tmp_path / "medmcqa.jsonl") == 2
    assert f"{src}:4: answer:" in _one_line(capsys.readouterr().err)


def test_json_list_of_strings_is_refused_per_item(tmp_path, capsys):
    src = tmp_path / "in.json"
    src.write_text(json.dumps([_row("1", 2), "not a row"]))
    assert _convert(src, tmp_path / "medmcqa.jsonl") == 2
    err = _one_line(capsys.readouterr().err)
    assert f"{src}[1]: expected an object" in err


def test_jsonl_row_that_is_not_an_object_is_refused(tmp_path, capsys):
    # before: a string row was searched for column names as substrings
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(_row("1", 2)) + "\n" + json.dumps("qid q a b c d gold") + "\n")
    assert _convert(src, tmp_path / "medmcqa.jsonl") == 2
    assert f"{src}:2: expected an object" in _one_line(capsys.readouterr().err)


def test_jsonl_line_numbers_count_blank_lines(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(_row("1", 2)) + "\n\n\n" + json.dumps(_row("2", 7)) + "\n")
    assert _convert(src, tmp_path / "medmcqa.jsonl") == 2
    assert f"{src}:4: answer:" in _one_line(capsys.readouterr().err)


def test_deeply_nested_json_is_one_line(tmp_path, capsys):
    path = tmp_path / "medqa_4opt.jsonl"
    path.write_text("[" * 100_000 + "]" * 100_000 + "\n")
    assert main(["validate", str(path)]) == 2
    assert f"{path}:1: not valid JSON" in _one_line(capsys.readouterr().err)


def test_jsonl_with_bom_validates(tmp_path):
    good = {"id": "1", "question": "q", "options": ["a", "b", "c", "d"], "answer": "A"}
    path = tmp_path / "medqa_4opt.jsonl"
    path.write_text(json.dumps(good) + "\n", encoding="utf-8-sig")
    assert main(["validate", str(path)]) == 0


def test_convert_output_that_is_a_folder_is_refused(tmp_path, capsys):
    src = _write_jsonl(tmp_path / "in.jsonl", [_row("1", 2)])
    out = tmp_path / "out"
    out.mkdir()
    assert _convert(src, out) == 2
    assert f"{out}: --output: is a folder" in _one_line(capsys.readouterr().err)


def test_convert_output_under_a_file_is_one_line(tmp_path, capsys):
    src = _write_jsonl(tmp_path / "in.jsonl", [_row("1", 2)])
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert _convert(src, blocker / "medmcqa.jsonl") == 2
    assert "cannot write" in _one_line(capsys.readouterr().err)


def test_show_refuses_a_negative_count(capsys):
    assert main(["show", "medqa_4opt", "-n", "-1"]) == 2
    assert "-n" in capsys.readouterr().err


# ------------------------------------------------------------- atomic writes


def test_atomic_files_follow_the_umask(tmp_path):
    from medfr_eval.core.fileio import write_json_atomic, write_text_atomic

    old = os.umask(0o022)
    try:
        a = write_text_atomic(tmp_path / "a.txt", "x")
        os.umask(0o077)
        b = write_json_atomic(tmp_path / "b.json", {"x": 1})
    finally:
        os.umask(old)
    assert stat.S_IMODE(a.stat().st_mode) == 0o644
    assert stat.S_IMODE(b.stat().st_mode) == 0o600
    old = os.umask(0o027)
    try:
        c = write_text_atomic(tmp_path / "c.sh", "x", mode=0o755)  # a script: executable
    finally:
        os.umask(old)
    assert stat.S_IMODE(c.stat().st_mode) == 0o750


def test_convert_output_is_readable_by_the_group(tmp_path):
    src = _write_jsonl(tmp_path / "in.jsonl", [_row("1", 2)])
    out = tmp_path / "medmcqa.jsonl"
    old = os.umask(0o002)
    try:
        assert _convert(src, out) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o664


def test_interrupted_write_leaves_no_temp_file(tmp_path, monkeypatch):
    import medfr_eval.core.fileio as fileio

    real_replace = os.replace

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(fileio.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        fileio.write_text_atomic(tmp_path / "out.jsonl", "x" * 1000)
    monkeypatch.setattr(fileio.os, "replace", real_replace)
    assert list(tmp_path.iterdir()) == []


def test_sigterm_during_a_write_leaves_no_temp_file(tmp_path):
    """A job scheduler's kill (SIGTERM) during convert: before, Python died and left ``*.tmp``."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(
        f"""
        import os, signal, medfr_eval.core.fileio as f
        real = os.fdopen
        class Slow:
            def __init__(self, fh): self.fh = fh
            def __enter__(self): return self
            def __exit__(self, *a): return self.fh.__exit__(*a)
            def write(self, text):
                os.kill(os.getpid(), signal.SIGTERM)
                return self.fh.write(text)
        f.os.fdopen = lambda *a, **k: Slow(real(*a, **k))
        f.write_text_atomic({str(tmp_path / "out.jsonl")!r}, "x")
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode != 0
    assert list(tmp_path.iterdir()) == []


def test_json_writes_are_strict():
    from medfr_eval.core.fileio import write_json_atomic

    with pytest.raises(ValueError, match="strict JSON"):
        write_json_atomic("/nonexistent/never-written.json", {"x": float("nan")})


# ------------------------------------------------------------- prompt templates


def _prompt_dir(tmp_path, body: str):
    d = tmp_path / "prompts"
    d.mkdir()
    (d / "mcq.j2").write_text(body, encoding="utf-8")
    return d


ATTACKS = [
    # the classic escape from a plain Jinja environment to os.system
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.system('touch {marker}') }}",
    "{{ lipsum.__globals__['os'].popen('touch {marker}').read() }}",
    "{% set x = namespace() %}{{ x.__init__.__globals__ }}",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_prompt_template_cannot_run_python(tmp_path, capsys, attack):
    marker = tmp_path / "pwned"
    d = _prompt_dir(tmp_path, attack.replace("{marker}", str(marker)))
    assert main(["show", "medqa_4opt", "--prompts", str(d)]) == 2
    err = _one_line(capsys.readouterr().err)
    assert "prompt template error" in err and str(d / "mcq.j2") in err
    assert not marker.exists()


@pytest.mark.parametrize(
    "attack",
    ["{{ 'x' * 10000000000 }}", "{{ 9 ** 99999999 }}", "{% include 'mcq.j2' %}"],
)
def test_prompt_template_cannot_exhaust_the_machine(tmp_path, capsys, attack):
    d = _prompt_dir(tmp_path, attack)
    assert main(["show", "medqa_4opt", "--prompts", str(d)]) == 2
    assert "prompt template error" in _one_line(capsys.readouterr().err)


def test_no_plain_jinja_environment_renders_user_templates():
    """Only the board's own shipped templates may use a non-sandboxed Environment."""
    from pathlib import Path

    import medfr_eval
    import medfr_train

    hits = []
    for pkg in (medfr_eval, medfr_train):
        for py in Path(pkg.__file__).parent.rglob("*.py"):
            text = py.read_text(encoding="utf-8")
            if "Environment(" in text and "SandboxedEnvironment" not in text:
                hits.append(py.relative_to(Path(pkg.__file__).parent.parent).as_posix())
    assert hits == ["medfr_eval/board/render.py"]


# ------------------------------------------------------------- files that are not files


def test_validate_a_folder_named_like_a_set_file(tmp_path, capsys):
    (tmp_path / "medqa_4opt.jsonl").mkdir()
    assert main(["validate", str(tmp_path)]) == 2
    assert "medqa_4opt.jsonl: is a folder" in _one_line(capsys.readouterr().err)


def test_validate_a_symlink_loop(tmp_path, capsys):
    loop = tmp_path / "medqa_4opt.jsonl"
    loop.symlink_to(loop)
    assert main(["validate", str(tmp_path)]) == 2
    assert f"{loop}: cannot read" in _one_line(capsys.readouterr().err)


def test_convert_replaces_a_symlink_not_its_target(tmp_path):
    src = _write_jsonl(tmp_path / "in.jsonl", [_row("1", 2)])
    victim = tmp_path / "victim.txt"
    victim.write_text("précieux")
    out = tmp_path / "medmcqa.jsonl"
    out.symlink_to(victim)
    assert _convert(src, out) == 0
    assert victim.read_text() == "précieux" and not out.is_symlink()


def test_sources_file_not_utf8_or_with_python_tags(tmp_path, capsys):
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("medqa_4opt:\n  origin: donn\xe9es\n".encode("latin-1"))
    assert main(["list", "--hub-sources", str(latin)]) == 2
    assert _one_line(capsys.readouterr().err).startswith(f"error: {latin}:2: not UTF-8")
    marker = tmp_path / "pwned"
    tag = tmp_path / "tag.yaml"
    tag.write_text(f"medqa_4opt: !!python/object/apply:os.system ['touch {marker}']\n")
    assert main(["list", "--hub-sources", str(tag)]) == 2
    assert "not valid YAML" in _one_line(capsys.readouterr().err) and not marker.exists()
