"""A small, hand-written complaint corpus with known themes, for the themes tests.

Every sentence below was written for these tests. Complaints are assembled from a theme's
openings and details plus generic noise (greetings, sign-offs, handles, redaction masks), so a
test can check that the noise never reaches a label.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from rootcause.models import Complaint
from rootcause.period import IsoWeek

THEMES: dict[str, tuple[list[str], list[str]]] = {
    "refund": (
        [
            "My refund for the returned jacket has still not arrived.",
            "Still waiting for my refund, the warehouse received the return weeks ago.",
            "The refund for my returned boots never reached my bank account.",
            "Your refund delay is ridiculous, the parcel was returned a month ago.",
        ],
        [
            "The return was scanned at the warehouse.",
            "Nobody can tell me when the refund will be processed.",
            "I posted the return with tracking.",
        ],
    ),
    "size": (
        [
            "You sent me the wrong size, I ordered a medium and got an extra large.",
            "Wrong size shipped again, the shoes are two sizes too small.",
            "The dress arrived in the wrong size even though the packing slip says small.",
            "Ordered size 10 trainers and received a size 7 pair.",
        ],
        [
            "The label on the box shows the wrong size.",
            "Now I have to send the wrong size back.",
            "The size on my order confirmation is correct.",
        ],
    ),
    "driver": (
        [
            "The delivery driver was rude and threw the bag at my door.",
            "Your driver shouted at me when I asked for the rest of the order.",
            "A rude delivery driver swore at my daughter on the doorstep.",
            "The driver was really rude and refused to walk to the flat.",
        ],
        [
            "The rude driver just drove off laughing.",
            "I have never been spoken to like that by a driver.",
            "The driver left before I could check the bag.",
        ],
    ),
    "voucher": (
        [
            "The app crashes every time I apply a voucher code at checkout.",
            "Entering my discount voucher makes the app crash and empties the basket.",
            "Since the update the app crashes when I redeem a voucher.",
            "Voucher code crashes the app on the payment screen.",
        ],
        [
            "Without the voucher the checkout works.",
            "I reinstalled the app and it still crashes on the voucher.",
            "My voucher expires on Sunday.",
        ],
    ),
}
NEW_THEME = (
    [
        "My bank card was blocked abroad even though I set a travel notice.",
        "Card blocked on holiday again, the travel notice was ignored.",
        "You blocked my card at the airport despite the travel notice.",
    ],
    [
        "I could not pay for the hotel with the blocked card.",
        "The fraud team unblocked the card a day later.",
    ],
)
NOISE_OPENINGS = ["Dear Northwind team,", "Hi @NorthwindShop", "Hello,", ""]
NOISE_CLOSINGS = [
    "Thanks,\nPriyanka Okafor",
    "Kind regards,\nTom Hallworth",
    "My card is [CARD] and my email is [EMAIL].",
    "Please help, account XXXX-XXXX.",
    "",
]


def complaint_text(rng: random.Random, theme: tuple[list[str], list[str]]) -> str:
    openings, details = theme
    parts = [rng.choice(NOISE_OPENINGS), rng.choice(openings)]
    parts += rng.sample(details, k=rng.randint(1, 2))
    parts.append(rng.choice(NOISE_CLOSINGS))
    return "\n".join(p for p in parts if p)


def texts_for(theme: str, n: int, *, seed: int = 0) -> list[str]:
    rng = random.Random(f"{seed}-{theme}")
    spec = NEW_THEME if theme == "new" else THEMES[theme]
    return [complaint_text(rng, spec) for _ in range(n)]


def add_complaints(
    session: Session, week: IsoWeek, texts: list[str], *, source: str = "test"
) -> list[int]:
    """Insert complaints received during `week`; returns their ids."""
    rows = []
    for i, text in enumerate(texts):
        received = week.start + timedelta(hours=1 + i % 150)
        key = f"{week}-{i}-{hashlib.sha1(text.encode()).hexdigest()[:12]}"
        rows.append(
            Complaint(
                source=source,
                external_id=key,
                text_original=text,
                text_redacted=text,
                text_hash=key[:40],
                received_at=received,
                week=str(week),
                ingested_at=datetime(2026, 12, 1, tzinfo=UTC),
            )
        )
    session.add_all(rows)
    session.flush()
    return [int(r.id) for r in rows if r.id is not None]


def weekly_corpus(
    weeks: list[IsoWeek], per_theme: int, *, seed: int = 0
) -> dict[IsoWeek, list[str]]:
    """`per_theme` complaints of every theme in every week."""
    out: dict[IsoWeek, list[str]] = {}
    for i, week in enumerate(weeks):
        texts: list[str] = []
        for theme in THEMES:
            texts += texts_for(theme, per_theme, seed=seed * 1000 + i)
        out[week] = texts
    return out
