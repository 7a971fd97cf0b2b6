"""Reference data: regions and their policies, trusts, sites, departments, specialties,
municipalities."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.policy import DEFAULTS
from matching.model import MODES, PRIORITY_KEYS  # noqa: F401 - the engine defines the vocabulary

from .types import UTCDateTime, one_of, utcnow

if TYPE_CHECKING:
    from .rounds import ApplicationRound

SELECTIONS = ("solver", "shortlist")
CONFIRMATIONS = ("automatic", "coordinator")
INTAKES = ("continuous", "rounds")  # app.policy.EffectivePolicy.intake
TRUST_KINDS = ("health_trust", "private_nonprofit")
MUNICIPALITY_KINDS = ("municipality", "district")


class Region(db.Model):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    short_name: Mapped[str] = mapped_column(sa.String(80))

    trusts: Mapped[list[Trust]] = relationship(back_populates="region", order_by="Trust.name")
    policy: Mapped[Policy | None] = relationship(
        primaryjoin="Region.id == Policy.region_id", uselist=False, viewonly=True
    )

    def __repr__(self) -> str:
        return f"<Region {self.code}>"


class Trust(db.Model):
    __tablename__ = "trusts"
    __table_args__ = (one_of("kind", TRUST_KINDS, "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(60), unique=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    short_name: Mapped[str] = mapped_column(sa.String(80))
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20), default="health_trust")

    region: Mapped[Region] = relationship(back_populates="trusts")
    sites: Mapped[list[Site]] = relationship(back_populates="trust", order_by="Site.name")
    departments: Mapped[list[Department]] = relationship(
        back_populates="trust", order_by="Department.name"
    )
    staff: Mapped[list[User]] = relationship(  # noqa: F821 - users.py imports this module
        "User", primaryjoin="User.trust_id == Trust.id", viewonly=True, order_by="User.email"
    )
    own_policy: Mapped[Policy | None] = relationship(
        primaryjoin="Trust.id == Policy.trust_id", uselist=False, viewonly=True
    )

    def __repr__(self) -> str:
        return f"<Trust {self.code}>"


class Policy(db.Model):
    """Matching rules of a region, or of one trust that overrides its region's."""

    __tablename__ = "policies"
    __table_args__ = (
        sa.CheckConstraint(
            "(region_id IS NULL AND trust_id IS NOT NULL) OR "
            "(region_id IS NOT NULL AND trust_id IS NULL)",
            name="region_xor_trust",
        ),
        one_of("mode", MODES, "mode"),
        one_of("selection", SELECTIONS, "selection"),
        one_of("confirmation", CONFIRMATIONS, "confirmation"),
        one_of("intake", INTAKES, "intake"),
        sa.CheckConstraint("offer_days BETWEEN 1 AND 90", name="offer_days_range"),
        sa.CheckConstraint("min_months_general_practice >= 0", name="min_months_nonnegative"),
        sa.CheckConstraint("fallback_months BETWEEN 0 AND 24", name="fallback_months_range"),
        sa.CheckConstraint("shortlist_size BETWEEN 1 AND 50", name="shortlist_size_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("regions.id"), unique=True)
    trust_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trusts.id"), unique=True)
    priority: Mapped[list[str]] = mapped_column(sa.JSON)
    # The defaults are app.policy.DEFAULTS (what each rule means is said there).
    min_months_general_practice: Mapped[int] = mapped_column(
        default=DEFAULTS.min_months_general_practice
    )
    fallback_months: Mapped[int] = mapped_column(default=DEFAULTS.fallback_months)
    mode: Mapped[str] = mapped_column(sa.String(20), default=DEFAULTS.mode)
    selection: Mapped[str] = mapped_column(sa.String(20), default=DEFAULTS.selection)
    shortlist_size: Mapped[int] = mapped_column(default=DEFAULTS.shortlist_size)
    confirmation: Mapped[str] = mapped_column(
        sa.String(12), default=DEFAULTS.confirmation, server_default=DEFAULTS.confirmation
    )
    offer_days: Mapped[int] = mapped_column(
        default=DEFAULTS.offer_days, server_default=str(DEFAULTS.offer_days)
    )
    endorsement_required: Mapped[bool] = mapped_column(
        default=DEFAULTS.endorsement_required, server_default=sa.false()
    )
    verified_progress_only: Mapped[bool] = mapped_column(
        default=DEFAULTS.verified_progress_only, server_default=sa.false()
    )
    intake: Mapped[str] = mapped_column(
        sa.String(12), default=DEFAULTS.intake, server_default=DEFAULTS.intake
    )
    note: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    region: Mapped[Region | None] = relationship(foreign_keys=[region_id])
    trust: Mapped[Trust | None] = relationship(foreign_keys=[trust_id])
    # The rounds of an intake in rounds (app/rounds.py), by application deadline.
    rounds: Mapped[list[ApplicationRound]] = relationship(
        "ApplicationRound",
        back_populates="policy",
        order_by="ApplicationRound.apply_by",
        cascade="all, delete-orphan",
    )

    @property
    def scope_label(self) -> str:
        return self.trust.name if self.trust else self.region.name


class Site(db.Model):
    __tablename__ = "sites"
    __table_args__ = (sa.UniqueConstraint("trust_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(sa.ForeignKey("trusts.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(60))
    name: Mapped[str] = mapped_column(sa.String(160))
    municipality_id: Mapped[int | None] = mapped_column(sa.ForeignKey("municipalities.id"))

    trust: Mapped[Trust] = relationship(back_populates="sites")
    municipality: Mapped[Municipality | None] = relationship()


class Specialty(db.Model):
    __tablename__ = "specialties"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(60), unique=True)
    name_nb: Mapped[str] = mapped_column(sa.String(120))
    name_nn: Mapped[str] = mapped_column(sa.String(120))
    name_en: Mapped[str] = mapped_column(sa.String(120))

    def name_in(self, locale: str | None) -> str:
        return {"nn": self.name_nn, "en": self.name_en}.get(locale or "nb", self.name_nb)

    @property
    def name(self) -> str:
        """The name in the language of the current request (bokmål outside one)."""
        from app.i18n import current_locale

        return self.name_in(current_locale())


class Department(db.Model):
    __tablename__ = "departments"
    __table_args__ = (
        sa.UniqueConstraint("trust_id", "name"),
        sa.CheckConstraint("alis_capacity >= 0", name="alis_capacity_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trust_id: Mapped[int] = mapped_column(sa.ForeignKey("trusts.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sites.id"), index=True)
    specialty_id: Mapped[int] = mapped_column(sa.ForeignKey("specialties.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    alis_capacity: Mapped[int] = mapped_column(default=1)
    active: Mapped[bool] = mapped_column(default=True)

    trust: Mapped[Trust] = relationship(back_populates="departments")
    site: Mapped[Site | None] = relationship()
    specialty: Mapped[Specialty] = relationship()


class Municipality(db.Model):
    """A municipality, or an Oslo district that acts as one for ALIS purposes."""

    __tablename__ = "municipalities"
    __table_args__ = (one_of("kind", MUNICIPALITY_KINDS, "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(6), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    county: Mapped[str] = mapped_column(sa.String(80))
    kind: Mapped[str] = mapped_column(sa.String(20), default="municipality")
    trust_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trusts.id"), index=True)

    trust: Mapped[Trust | None] = relationship()
