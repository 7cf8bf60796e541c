"""A hostile complaint export: one row per defect an export can have, with the expected outcome.

Built as bytes (not a committed file) so the 1 MB row, the NUL bytes and the cp1252 line are
exactly what each test says they are.
"""

from __future__ import annotations

from pathlib import Path

D = "2026-11-02T09:00:00Z"
ROWS: list[tuple[bytes, str]] = [
    (f'1,{D},email,C1,"The parcel arrived with the wrong colour."'.encode(), "inserted"),
    (f'2,{D},chat,C2,""'.encode(), "empty_text"),
    (f'3,{D},chat,C2,"   \t   "'.encode(), "empty_text"),
    (b'4,,email,C3,"There is no date on this one."', "missing_date"),
    (b'5,31/31/2026,email,C3,"The date on this one is garbled."', "invalid_date"),
    (f'1,{D},email,C1,"Same id as row one but other words."'.encode(), "duplicate"),
    (f'7,{D},email,C4,"  the parcel arrived WITH the wrong   colour. "'.encode(), "duplicate"),
    (f'8,{D},email,C5,"'.encode() + b"very long " * 105_000 + b'"', "text_too_long"),
    (f'9,{D},email,C6,"broken\x00text in the middle"'.encode(), "binary_content"),
    (f'10,{D},email,C6,"'.encode() + bytes(range(1, 9)) * 20 + b'\xff\xfe junk"', "binary_content"),
    (f'11,{D},email,C7,"Caf'.encode() + b'\xe9 order was cold \x96 again."', "inserted"),
    (f'12,{D},phone,C8,"Line one of the notes.\nLine two.\r\nLine three."'.encode(), "inserted"),
    (f"13,{D},email,C9,\"=cmd|' /c calc'!A1 and my refund is late\"".encode(), "inserted"),
    (
        f'14,{D},email,C9,"<p>My <b>order</b> was <script>alert(1)</script>missing</p>"'.encode(),
        "inserted",
    ),
    (
        f'15,{D},social,"=HYPERLINK(""http://x"")","The app keeps logging me out."'.encode(),
        "inserted",
    ),
    (f'16,{D},email,C10,"Too many fields here",extra'.encode(), "malformed_row"),
    (f'17,{D},email,C10,"12345 !!! 678"'.encode(), "no_words"),
    (b'18,1970-01-01,email,C11,"A date from long before any export."', "implausible_date"),
    (b'19,11/04/2026,chat,C12,"The agent hung up on me twice."', "inserted"),
    (b'20,"Wed, 04 Nov 2026 16:30:00 +0100",email,C12,"Sent from my mail client."', "inserted"),
    (b'21,1762272000,survey,C13,"Epoch dated survey answer."', "inserted"),
    (f'22,{D},email,C14,"<br><br>"'.encode(), "empty_text"),
]
HEADER = b"\xef\xbb\xbfid,received_at,channel,customer_id,text"


def write(path: Path) -> Path:
    path.write_bytes(b"\r\n".join([HEADER, *(row for row, _ in ROWS)]) + b"\r\n")
    return path


def expected() -> dict[str, int]:
    outcomes = [o for _, o in ROWS]
    return {
        "inserted": outcomes.count("inserted"),
        "duplicates": outcomes.count("duplicate"),
        "quarantined": sum(o not in {"inserted", "duplicate"} for o in outcomes),
    }


def expected_codes() -> dict[str, int]:
    codes: dict[str, int] = {}
    for _, outcome in ROWS:
        if outcome not in {"inserted", "duplicate"}:
            codes[outcome] = codes.get(outcome, 0) + 1
    return codes
