"""The incremental JSON list reader: same items as json.load, bounded buffer, clear errors."""

from __future__ import annotations

import io
import json

import pytest

from medfr_eval.core.errors import DataError
from medfr_eval.core.jsonstream import iter_json_list

ITEMS = [
    {"a": 1, "s": "crochets ] et [ , virgules", "n": None},
    12345678901234567890,
    -1.5e-3,
    'une chaîne "échappée" \\ avec ü',
    [1, [2, [3]]],
    True,
    {},
    [],
]


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 1 << 16])
def test_items_equal_json_load_at_every_chunk_size(chunk):
    text = " \n" + json.dumps(ITEMS, indent=1, ensure_ascii=False) + "\n"
    got = list(iter_json_list(io.StringIO(text), chunk_chars=chunk))
    assert got == json.loads(text)


@pytest.mark.parametrize("text", ["[]", " [ ] ", "[\n]"])
def test_empty_list(text):
    assert list(iter_json_list(io.StringIO(text), chunk_chars=1)) == []


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('{"a": 1}', "JSON list"),
        ("[1, 2", "ends early"),
        ("[1, 2,]", "item 2"),
        ("[1 2]", "expected ','"),
        ('[{"a": }]', "item 0"),
    ],
)
def test_bad_lists_give_one_line(text, needle):
    with pytest.raises(DataError) as err:
        list(iter_json_list(io.StringIO(text), file="x.json", chunk_chars=2))
    message = str(err.value)
    assert needle in message and message.startswith("x.json") and "\n" not in message


def test_an_item_larger_than_the_bound_stops():
    text = json.dumps([{"big": "x" * 5000}])
    with pytest.raises(DataError, match="larger than 1000"):
        list(iter_json_list(io.StringIO(text), chunk_chars=100, max_item_chars=1000))


def test_buffer_stays_bounded():
    """The reader never holds much more than one chunk plus one item."""

    class Watch(io.StringIO):
        def __init__(self, text):
            super().__init__(text)
            self.reads = 0

        def read(self, n=-1):
            assert n > 0  # never "read everything"
            self.reads += 1
            return super().read(n)

    text = json.dumps([{"i": i, "t": "y" * 50} for i in range(2000)])
    fh = Watch(text)
    assert sum(1 for _ in iter_json_list(fh, chunk_chars=256)) == 2000
    assert fh.reads >= len(text) // 256
