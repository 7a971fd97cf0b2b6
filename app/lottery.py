"""The lottery that decides between candidates who are equal on every other rule.

Each region has one seed per season (a calendar year). The portal draws it at random
(``secrets``); no person chooses it, and no date a person picks changes it, so a GP keeps the
same number all season. Its SHA-256 is shown on the region's public page from the moment it
is drawn, and the next season's seed is drawn ahead (by every committed run and by
``flask reference load``), so the commitment is public before any run of the season uses
it. When the season has ended the seed itself is published beside its hash: anyone can check
the hash and recompute every number, ``matching.lottery_number(seed, gp_id)`` =
HMAC-SHA256(key=seed, message=GP id), the top 53 bits as a number in [0, 1); lower goes first.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

import matching
from app.extensions import db
from app.models import LotterySeed, Region


def season_of(day: date) -> int:
    """The season a day belongs to: its calendar year."""
    return day.year


def season_ended(season: int, today: date) -> bool:
    return today > date(season, 12, 31)


def sha256_of(seed: str) -> str:
    return hashlib.sha256(seed.encode("ascii")).hexdigest()


def _find(region_id: int, season: int) -> LotterySeed | None:
    return db.session.scalar(
        sa.select(LotterySeed).where(
            LotterySeed.region_id == region_id, LotterySeed.season == season
        )
    )


def seed_row(region: Region, season: int) -> LotterySeed:
    """The region's seed for ``season``, drawn now if it has none (flushes). Two processes
    drawing at once keep the first seed the database took."""
    row = _find(region.id, season)
    if row is not None:
        return row
    seed = secrets.token_hex(32)
    try:
        with db.session.begin_nested():
            row = LotterySeed(
                region_id=region.id, season=season, seed=seed, seed_sha256=sha256_of(seed)
            )
            db.session.add(row)
            db.session.flush()
    except sa.exc.IntegrityError:
        row = _find(region.id, season)
        if row is None:
            raise
    return row


def seed_for(region: Region, day: date) -> str:
    """The seed that orders ``region``'s GPs on ``day`` (drawn if needed; flushes)."""
    return seed_row(region, season_of(day)).seed


def draw_ahead(today: date, regions: list[Region] | None = None) -> int:
    """Make sure every region (or ``regions``) has its seed for this season and the next, so
    that each hash is public before a run uses the seed. Returns how many were drawn."""
    if regions is None:
        regions = list(db.session.scalars(sa.select(Region).order_by(Region.id)))
    drawn = 0
    for region in regions:
        for season in (season_of(today), season_of(today) + 1):
            if _find(region.id, season) is None:
                seed_row(region, season)
                drawn += 1
    return drawn


def number(region: Region, gp_id: int, day: date) -> float:
    """The GP's lottery number in ``region`` for the season of ``day`` (lower goes first)."""
    return matching.lottery_number(seed_for(region, day), str(gp_id))


@dataclass(frozen=True)
class PublishedSeed:
    """What the public page shows of one season's seed."""

    season: int
    sha256: str
    drawn_at: datetime
    seed: str | None  # only once the season has ended


def published_seeds(region: Region, today: date) -> list[PublishedSeed]:
    """Every seed of the region, newest season first; the seed itself only for seasons that
    have ended."""
    rows = db.session.scalars(
        sa.select(LotterySeed)
        .where(LotterySeed.region_id == region.id)
        .order_by(LotterySeed.season.desc())
    )
    return [
        PublishedSeed(
            season=row.season,
            sha256=row.seed_sha256,
            drawn_at=row.drawn_at,
            seed=row.seed if season_ended(row.season, today) else None,
        )
        for row in rows
    ]
