"""Generated complaint exports of any size, for benchmarks and the large-file tests.

Sentences are assembled from short, team-written fragments; this is load, not training data.
"""

from __future__ import annotations

import csv
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

OPENERS = ["Hi,", "Hello team,", "", "Third time writing.", "Not happy.", "Quick one:", ""]
PROBLEMS = [
    "my refund still has not arrived after {n} weeks",
    "you sent me the wrong size jacket and the return label does not work",
    "the driver left my order at the wrong address",
    "I was on hold for {n} minutes and then the call dropped",
    "the agent promised a call back yesterday and nobody called",
    "the app logs me out every time I open the basket",
    "two items were missing from the delivery",
    "I was charged twice for one order",
    "my flight was moved to the wrong day without asking",
    "the new price is far too high for what you offer",
    "the parcel arrived crushed by the courier",
    "customer service hung up on me when I asked for a manager",
    "the technician never showed up for the {n} o'clock slot",
    "my internet has dropped every evening for {n} days",
    "the bank blocked my card while I was abroad and nobody warned me",
    "the transfer I made {n} days ago still shows as pending",
    "the food arrived cold and {n} minutes late",
    "the restaurant gave me somebody else's order",
    "my checked bag did not arrive and the desk had no information",
    "the seat I paid extra for was given to someone else",
    "the subscription renewed even though I cancelled it",
    "the update deleted all my saved settings",
    "I was told the upgrade was free and then billed for it",
    "the chat bot sent me in circles and never reached a person",
    "the meter reading on my bill is wrong by {n} units",
    "the invoice shows a plan I never signed up for",
    "the courier marked the parcel delivered but nothing came",
    "the store refused the return although it was within {n} days",
    "my password reset email never arrives",
    "the appointment confirmation had the wrong date",
]
CLOSERS = ["Please sort it out.", "Thanks.", "Order {o}.", "", "Really disappointed.", "Fix this!"]
CHANNELS = ["email", "chat", "phone", "survey", "review", "social"]


def write_csv(
    path: Path,
    rows: int,
    *,
    seed: int = 7,
    start: datetime | None = None,
    weeks: int = 12,
    first_id: int = 0,
) -> Path:
    """Write `rows` complaints over `weeks` weeks from `start`; ids count up from `first_id`,
    so files generated with disjoint id ranges can be loaded into one database."""
    rng = random.Random(seed)
    start = start or datetime(2026, 8, 31, tzinfo=UTC)
    span = weeks * 7 * 86400
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "received_at", "channel", "customer_id", "order_id", "text"])
        for i in range(first_id, first_id + rows):
            n = rng.randint(2, 90)
            order = f"NW-{rng.randint(100000, 999999)}"
            text = " ".join(
                s for s in (
                    rng.choice(OPENERS),
                    rng.choice(PROBLEMS).format(n=n).capitalize() + ".",
                    rng.choice(PROBLEMS).format(n=n) + "." if rng.random() < 0.3 else "",
                    rng.choice(CLOSERS).format(o=order),
                    f"(ref {i})",
                ) if s
            )  # fmt: skip
            when = start + timedelta(seconds=rng.randrange(span))
            w.writerow(
                [
                    f"G{i:08d}",
                    when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    rng.choice(CHANNELS),
                    f"C{rng.randint(1, rows // 3 + 1)}",
                    order,
                    text,
                ]
            )
    return path
