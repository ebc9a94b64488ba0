"""Tables, field lists and JSON documents as the CLI writes them."""

from __future__ import annotations

import io
import json

from strongroom.cli.output import cell, write_fields, write_json_list, write_table


def test_a_table_aligns_its_columns_and_leaves_no_trailing_space() -> None:
    out = io.StringIO()
    count = write_table(("ID", "NAME", "NOTE"), [("1", "orders", "x"), ("22", "b", "")], out)
    assert count == 2
    assert out.getvalue() == ("ID  NAME    NOTE\n"
                              "1   orders  x\n"
                              "22  b\n")


def test_a_long_table_is_aligned_a_chunk_at_a_time_and_widens_for_later_cells() -> None:
    out = io.StringIO()
    rows = [("a", "1"), ("b", "2"), ("long-name", "3")]
    assert write_table(("K", "V"), iter(rows), out, chunk_rows=2) == 3
    assert out.getvalue().splitlines() == ["K  V", "a  1", "b  2", "long-name  3"]


def test_an_empty_table_is_its_header() -> None:
    out = io.StringIO()
    assert write_table(("KEY ID", "STATE"), [], out) == 0
    assert out.getvalue() == "KEY ID  STATE\n"


def test_cells_hide_control_characters_and_show_nothing_as_a_dash() -> None:
    assert cell("two\nlines\tand\x1b[31mred") == "two lines and [31mred"
    assert cell("") == "-" and cell(None) == "-"


def test_fields_align_their_values() -> None:
    out = io.StringIO()
    write_fields([("Key ID", "k1"), ("Current version", "2"), ("Tags", "")], out)
    assert out.getvalue().splitlines() == ["Key ID:           k1", "Current version:  2", "Tags:             -"]


def test_a_streamed_list_is_one_json_document() -> None:
    for items in ([], [{"a": 1}], [{"a": 1}, {"b": "two\nlines"}]):
        out = io.StringIO()
        assert write_json_list("keys", iter(items), out) == len(items)
        assert json.loads(out.getvalue()) == {"keys": items}
