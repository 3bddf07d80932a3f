"""The one CSV writer: formulas neutralised on every dangerous prefix, embedded CR/LF never split a row."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from geo.export.safe_csv import FORMULA_PREFIXES, csv_bytes, csv_text, neutralise_cell, write_csv

DANGEROUS = ["=HYPERLINK(\"http://x\",\"clic\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=3+3"]


def read_back(text: str, sep: str = ";") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))


@pytest.mark.parametrize("value", DANGEROUS)
def test_every_dangerous_prefix_is_neutralised(value):
    rows = read_back(csv_text(pd.DataFrame({"description": [value]})))
    assert rows[1] == ["'" + value]
    assert not rows[1][0].startswith(FORMULA_PREFIXES)


def test_all_prefixes_are_covered():
    assert set(FORMULA_PREFIXES) == {"=", "+", "-", "@", "\t", "\r"}


@pytest.mark.parametrize("value", ["ligne 1\nligne 2", "a\rb", "x\r\ny", "\r=3+3"])
def test_embedded_line_breaks_stay_in_one_quoted_cell(value):
    frame = pd.DataFrame({"id": [1, 2], "texte": [value, "suite"]})
    text = csv_text(frame)
    rows = read_back(text)
    assert len(rows) == 3, text
    assert rows[1][0] == "1" and rows[2] == ["2", "suite"]
    assert rows[1][1].lstrip("'") == value


def test_numbers_are_left_as_numbers():
    assert neutralise_cell(-3) == -3
    rows = read_back(csv_text(pd.DataFrame({"n": [-3, 4], "x": [-1.5, None]})))
    assert rows[1] == ["-3", "-1.5"]


def test_plain_text_is_unchanged_and_headers_are_neutralised_too():
    rows = read_back(csv_text(pd.DataFrame({"=col": ["Fenêtre cassée"]})))
    assert rows == [["'=col"], ["Fenêtre cassée"]]


def test_file_is_utf8_with_bom_for_excel(tmp_path):
    path = tmp_path / "out.csv"
    assert write_csv(pd.DataFrame({"a": ["é", "=1"]}), path) == 2
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert read_back(data.decode("utf-8-sig")) == [["a"], ["é"], ["'=1"]]
    assert csv_bytes(pd.DataFrame({"a": [1]}), bom=False) == b"a\r\n1\r\n"


def test_standard_output(capsys):
    write_csv(pd.DataFrame({"a": ["@x"]}), None, sep=",")
    assert capsys.readouterr().out == "a\r\n'@x\r\n"
