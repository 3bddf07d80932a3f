"""Tell how a text file is encoded -- line by line when two exports were pasted together -- and decode it.

Most files are UTF-8 or Windows-1252 (cp1252) from end to end: they are decoded by pandas at C speed.
The others go through :class:`DecodedText`, which decodes each line by what it is (UTF-8, else the file's
8-bit encoding) and removes NUL bytes, the same wherever they are in the file.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np

from geo.errors import InputError

__all__ = ["TextEncoding", "DecodedText", "detect_encoding", "forced_encoding", "suspicious_text",
           "SUSPICIOUS_TEXT", "split_lines"]

Opener = Callable[[], BinaryIO]
_BLOCK = 1 << 20
_LINE_END = re.compile(rb"\r\n|\r|\n")
# In a file that is not valid UTF-8 as a whole, a non-ASCII line that decodes as UTF-8 was written in UTF-8:
# pure cp1252 French text almost never forms a multi-byte UTF-8 sequence
# cp1252 puts printable characters (€ ’ œ …) at 0x80-0x9F, where ISO-8859-15 has control characters
# ISO-8859-15 has Œ œ Ÿ where cp1252 has ¼ ½ ¾: inside a word, they are letters
_LATIN9_IN_WORD = re.compile(rb"[A-Za-z\xc0-\xff][\xbc\xbd\xbe]|[\xbc\xbd\xbe][A-Za-z\xc0-\xff]")
_LATIN9_EURO = re.compile(rb"[0-9] ?\xa4")
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_LATIN9_BYTES = [0xA4, 0xBC, 0xBD, 0xBE]
_UNDEFINED_BYTES = [0x81, 0x8D, 0x8F, 0x90, 0x9D]
# Text that decoded into characters no one types: UTF-8 read as cp1252 ("Ã©", "â€™", "Â°"), C1 control
# characters (cp1252 read as Latin-1), the replacement character
SUSPICIOUS_TEXT = re.compile(
    "Ã[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u2122]"
    "|â€|Â[\u00a0-\u00bf]|[\u0080-\u009f]|\ufffd"
)
# The same, as UTF-8 bytes: a fast first look at a UTF-8 file's blocks
_SUSPICIOUS_UTF8 = re.compile(rb"\xc3[\x82\x83]|\xc3\xa2\xe2\x82\xac|\xc2[\x80-\x9f]|\xef\xbf\xbd")
_EXAMPLES = 3


@dataclass
class TextEncoding:
    """How to decode a text file.

    Attributes
    ----------
    codec
        The codec of the whole file (``utf-8``, ``cp1252``…); for a mixed file, the one of its 8-bit lines.
    mixed
        Lines are UTF-8 or ``codec``, each decoded by what it is.
    nul_bytes
        NUL bytes in the file: removed when decoding.
    bom
        Bytes of a byte-order mark at the start of the file (skipped).
    suspicious
        ``(line, text)`` examples of text that decoded into implausible characters.
    latin9_hint
        ``¼ ½ ¾`` inside words in a cp1252 file: perhaps ISO-8859-15 ``Œ œ Ÿ``.
    """

    codec: str
    mixed: bool = False
    nul_bytes: int = 0
    bom: bytes = b""
    suspicious: list[tuple[int, str]] = field(default_factory=list)
    latin9_hint: bool = False
    utf8_lines: int = 0
    other_lines: int = 0

    @property
    def fast(self) -> bool:
        """Whether pandas can decode the file itself (one encoding, no NUL byte)."""
        return not self.mixed and not self.nul_bytes and not self.codec.startswith("utf-16")

    @property
    def label(self) -> str:
        """The encoding as recorded with the batch."""
        if self.mixed:
            return f"utf-8+{self.codec}"
        return "utf-8-sig" if self.bom == codecs.BOM_UTF8 else self.codec

    def decode_line(self, line: bytes) -> str:
        """Decode one line (NUL bytes removed).

        Raises
        ------
        UnicodeDecodeError
            When the line is in neither encoding.
        """
        if self.nul_bytes:
            line = line.replace(b"\x00", b"")
        if self.mixed:
            try:
                return line.decode("utf-8")
            except UnicodeDecodeError:
                pass
        return line.decode(self.codec)

    def warnings(self, name: str) -> list[str]:
        """Return what a coordinator should know about the file's text (French)."""
        found = []
        if self.mixed:
            found.append(
                f"{name} : le fichier mélange des lignes en UTF-8 ({self.utf8_lines}) et en {self.codec} "
                f"({self.other_lines}) — deux exports collés ? Chaque ligne a été lue dans son encodage."
            )
        if self.nul_bytes:
            found.append(f"{name} : {self.nul_bytes} octet(s) nul(s) (caractère invisible \\0) supprimé(s) du texte")
        if self.latin9_hint:
            found.append(
                f"{name} : des caractères ¼ ½ ¾ apparaissent au milieu de mots : le fichier est peut-être en "
                "ISO-8859-15 (œ, Œ) ; vérifiez et relancez au besoin avec --encoding iso-8859-15"
            )
        if self.suspicious:
            examples = ", ".join(f"ligne {line} : « {text} »" for line, text in self.suspicious[:_EXAMPLES])
            found.append(
                f"{name} : texte probablement mal décodé (caractères improbables comme « Ã© » ou des caractères "
                f"de contrôle) : {examples}. Vérifiez l'encodage du fichier (option --encoding)."
            )
        return found


def split_lines(data: bytes) -> list[bytes]:
    """Split bytes into lines, each with its line ending (CR LF, CR or LF)."""
    lines, start = [], 0
    for match in _LINE_END.finditer(data):
        lines.append(data[start:match.end()])
        start = match.end()
    if start < len(data):
        lines.append(data[start:])
    return lines


def suspicious_text(text: str, *, first_line: int = 1) -> list[tuple[int, str]]:
    """Return ``(line, excerpt)`` of implausible characters in ``text`` (at most a few)."""
    found: list[tuple[int, str]] = []
    for match in SUSPICIOUS_TEXT.finditer(text):
        line = first_line + text.count("\n", 0, match.start())
        if found and found[-1][0] == line:
            continue
        start = max(0, match.start() - 15)
        excerpt = text[start:match.end() + 15].replace("\n", " ").replace("\r", " ").strip()
        excerpt = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in excerpt)
        found.append((line, excerpt))
        if len(found) >= _EXAMPLES:
            break
    return found


def _utf16_without_bom(head: bytes) -> str | None:
    half = len(head) // 2
    if half < 4:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd > 0.4 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.4 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


_CONTROLS = bytes((*range(1, 9), 11, 12, *range(14, 27), *range(28, 32)))


def _looks_binary(head: bytes) -> bool:
    """Tell whether bytes are not text: many control characters (NUL bytes aside, which text may carry)."""
    text = head.replace(b"\x00", b"")
    controls = sum(text.count(bytes([b])) for b in _CONTROLS)
    return len(text) > 0 and controls > 0.05 * len(text)


def forced_encoding(opener: Opener, name: str, codec: str) -> TextEncoding:
    """Return the encoding given by the user (``--encoding``), after counting the file's NUL bytes.

    Raises
    ------
    InputError
        When ``codec`` is unknown.
    """
    mixed = codec.lower().startswith("utf-8+")  # as recorded for a mixed file (``utf-8+cp1252``)
    try:
        codec = codecs.lookup(codec[len("utf-8+"):] if mixed else codec).name
    except LookupError as exc:
        raise InputError(f"encodage {codec!r} inconnu ; essayez utf-8, cp1252 ou latin-1") from exc
    found = TextEncoding(codec, mixed=mixed)
    if codec.startswith("utf-16") or codec.startswith("utf_16"):
        found.codec = "utf-16"
        return found
    decoder = codecs.getincrementaldecoder("utf-8" if mixed else codec)("replace")
    line = 1
    with opener() as fh:
        head = fh.read(4)
        if codec in ("utf-8", "utf-8-sig") and head.startswith(codecs.BOM_UTF8):
            found.bom, found.codec = codecs.BOM_UTF8, "utf-8"
        nuls = head.count(0)
        block = head[len(found.bom):]
        while True:
            nuls += block.count(0)
            text = decoder.decode(block)
            if len(found.suspicious) < _EXAMPLES and SUSPICIOUS_TEXT.search(text):
                found.suspicious += suspicious_text(text, first_line=line)
            line += text.count("\n")
            if not (block := fh.read(_BLOCK)):
                break
    found.nul_bytes = nuls
    found.suspicious = found.suspicious[:_EXAMPLES]
    return found


def detect_encoding(opener: Opener, name: str) -> TextEncoding:
    """Tell the encoding of a text file: UTF-8 (with or without BOM), UTF-16, cp1252, ISO-8859-15, or mixed.

    Raises
    ------
    InputError
        When the file is binary, or a line is in no known encoding.
    """
    with opener() as fh:
        head = fh.read(4096)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return TextEncoding("utf-16")
    bom = codecs.BOM_UTF8 if head.startswith(codecs.BOM_UTF8) else b""
    utf16 = _utf16_without_bom(head) if b"\x00" in head else None
    if utf16:
        return TextEncoding(utf16)
    if _looks_binary(head):
        raise InputError(
            f"{name} : encodage non reconnu : ce fichier n'est pas du texte (fichier binaire, ou classeur "
            "renommé en .csv ?). Enregistrez-le en CSV UTF-8 ou en .xlsx, ou précisez --encoding."
        )
    found = TextEncoding("utf-8", bom=bom)
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with opener() as fh:
        fh.read(len(bom))
        try:
            while block := fh.read(_BLOCK):
                found.nul_bytes += block.count(0)
                text = decoder.decode(block)
                if len(found.suspicious) < _EXAMPLES and _SUSPICIOUS_UTF8.search(block):
                    found.suspicious += suspicious_text(text, first_line=line)
                line += block.count(b"\n")
            decoder.decode(b"", final=True)
            found.suspicious = found.suspicious[:_EXAMPLES]
            return found
        except UnicodeDecodeError:
            pass
    return _eight_bit(opener, name, bom)


def _line_blocks(opener: Opener, skip: int) -> Iterator[bytes]:
    """Yield the file in blocks that end at a line end."""
    rest = b""
    with opener() as fh:
        fh.read(skip)
        while block := fh.read(_BLOCK):
            block = rest + block
            cut = max(block.rfind(b"\n"), block.rfind(b"\r"))
            if cut < 0:
                rest = block
                continue
            rest = block[cut + 1:]
            yield block[:cut + 1]
    if rest:
        yield rest


def _eight_bit(opener: Opener, name: str, bom: bytes) -> TextEncoding:
    """Scan a file that is not UTF-8 as a whole: pure 8-bit, or UTF-8 lines mixed with 8-bit ones."""
    c1 = in_word = euro = nuls = 0
    utf8_lines = other_lines = 0
    suspicious: list[tuple[int, str]] = []
    undefined_line = None
    line = 1
    for block in _line_blocks(opener, len(bom)):
        counts = np.bincount(np.frombuffer(block, dtype=np.uint8), minlength=256)  # one pass over the block
        nuls += int(counts[0])
        try:
            utf8_block = block.decode("utf-8")
        except UnicodeDecodeError:
            utf8_block = None
        if utf8_block is not None:
            parts = []  # a whole block of UTF-8 lines (the UTF-8 half of a mixed file)
            counts = np.zeros(256, dtype=np.int64)
            utf8_lines += block.count(b"\n") or 1
            if len(suspicious) < _EXAMPLES and _SUSPICIOUS_UTF8.search(block):
                suspicious += suspicious_text(utf8_block, first_line=line)
        # undecodable bytes become one character each: fewer characters than bytes means a UTF-8 sequence
        elif len(block.decode("utf-8", "surrogateescape")) == len(block):
            parts = [block]  # no UTF-8 sequence at all: the whole block is 8-bit (the fast, common case)
            other_lines += block.count(b"\n") or 1
        else:
            parts = []
            for text in split_lines(block):
                if text.isascii():
                    continue
                try:
                    decoded = text.decode("utf-8")
                    utf8_lines += 1
                    if len(suspicious) < _EXAMPLES and SUSPICIOUS_TEXT.search(decoded):
                        at = line + block.count(b"\n", 0, block.find(text))
                        suspicious += suspicious_text(decoded, first_line=at)
                except UnicodeDecodeError:
                    other_lines += 1
                    parts.append(text)
            counts = np.bincount(np.frombuffer(b"".join(parts), dtype=np.uint8), minlength=256)
        # regular expressions only run on the blocks holding the bytes they look for
        c1 += int(counts[0x80:0xA0].sum())
        for part in parts:
            if counts[_LATIN9_BYTES].any():
                in_word += len(_LATIN9_IN_WORD.findall(part))
                euro += len(_LATIN9_EURO.findall(part))
            if undefined_line is None and counts[_UNDEFINED_BYTES].any() and (
                    bad := _CP1252_UNDEFINED.search(part)):
                undefined_line = line + block.count(b"\n", 0, block.find(part)) + part.count(b"\n", 0, bad.start())
        line += block.count(b"\n")
    if c1 == 0 and (in_word or euro):
        codec = "iso8859-15"
    elif undefined_line is None:
        codec = "cp1252"
    else:
        raise InputError(
            f"{name} : encodage non reconnu (ni UTF-8 ni Windows-1252/cp1252 : octet inconnu ligne "
            f"{undefined_line}). Enregistrez le fichier en CSV UTF-8 ou précisez --encoding (par ex. "
            "--encoding latin-1)."
        )
    found = TextEncoding(codec, mixed=utf8_lines > 0, bom=bom, utf8_lines=utf8_lines, other_lines=other_lines,
                         latin9_hint=codec == "cp1252" and in_word > 0, suspicious=suspicious[:_EXAMPLES],
                         nul_bytes=nuls)
    return found


class DecodedText(io.TextIOBase):
    """A text stream of a file's lines from byte ``start``, each line decoded by :meth:`TextEncoding.decode_line`.

    Parameters
    ----------
    first_line
        Line number of the first line read (for error messages).
    """

    def __init__(self, raw: BinaryIO, encoding: TextEncoding, *, start: int, first_line: int, name: str) -> None:
        super().__init__()
        self._raw = raw
        self._encoding = encoding
        self._name = name
        self._line = first_line
        self._buffer = ""
        self._pending = b""
        self._done = False
        if encoding.codec.startswith("utf-16"):
            # UTF-16 has no byte-level line ends: decode as a stream
            self._stream = io.TextIOWrapper(raw, encoding=encoding.codec, newline="")
            self._stream.read(start)
        else:
            self._stream = None
            raw.read(start)

    def readable(self) -> bool:
        """Return ``True``: the stream is read, never written."""
        return True

    def _fill(self) -> None:
        if self._stream is not None:
            block = self._stream.read(_BLOCK)
            if not block:
                self._done = True
            self._buffer += block.replace("\x00", "")
            return
        block = self._raw.read(_BLOCK)
        data = self._pending + block
        if block:
            cut = max(data.rfind(b"\n"), data.rfind(b"\r"))
            if cut < 0:
                self._pending = data
                return
            self._pending, data = data[cut + 1:], data[:cut + 1]
        else:
            self._done, self._pending = True, b""
        pieces = []
        for line in split_lines(data):
            try:
                pieces.append(self._encoding.decode_line(line))
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{self._name} : ligne {self._line} illisible en UTF-8 comme en {self._encoding.codec} "
                    f"(octet {exc.object[exc.start:exc.start + 1]!r}). Précisez --encoding. Rien n'a été enregistré."
                ) from exc
            self._line += 1
        self._buffer += "".join(pieces)

    def read(self, size: int = -1) -> str:
        """Return up to ``size`` characters (all the rest when negative)."""
        while not self._done and (size < 0 or len(self._buffer) < size):
            self._fill()
        if size < 0:
            out, self._buffer = self._buffer, ""
        else:
            out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out

    def close(self) -> None:
        """Close the underlying file."""
        self._raw.close()
        super().close()
