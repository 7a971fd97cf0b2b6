"""The matching rules in force: one function per owner (a trust, a region) and the defaults,
declared once.

A region's rules are its ``policies`` row; a trust may override them with a row of its own.
Where neither exists the documented defaults apply (README, "Rules per region"). Every page,
the API, the run, the explanations and the overview read the rules through
``effective_policy`` or ``region_policy``: no other default exists in code.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import TYPE_CHECKING, Any, Literal

from matching.model import PRIORITY_KEYS

if TYPE_CHECKING:
    from app.models import Policy, Region, Trust


@dataclass(frozen=True)
class EffectivePolicy:
    """A complete, frozen set of rules, and where it came from."""

    # Priority keys in order (matching.model.PRIORITY_KEYS); the lottery decides last.
    priority: tuple[str, ...]
    # Months of general practice a GP needs before hospital service (Helse Vest: 3 years).
    min_months_general_practice: int
    # Months after publication at which a period nobody accepted is advertised the usual way.
    fallback_months: int
    # strict_priority or max_placements (matching.model.MODES).
    mode: str
    # solver: the engine proposes one candidate; shortlist: the department chooses.
    selection: str
    # How many candidates a shortlist shows.
    shortlist_size: int
    # automatic: proposals go to the trust at once; coordinator: a coordinator confirms first.
    confirmation: str
    # Days a GP gets to answer an offer, by default.
    offer_days: int
    # Matching considers only windows the GP's municipality has endorsed (the Ahus and UNN
    # practice). A rule of the region: a trust's override keeps its region's value.
    endorsement_required: bool = False
    # Progress measures rank by their verified values only (app/gps/verification.py
    # ranking_value: a measure never verified counts as 0). A rule of the region, too.
    verified_progress_only: bool = False
    # continuous: every nightly run matches the trust's periods; rounds: they wait for the
    # next application round of the policy (app/rounds.py, the rounds' dates).
    intake: str = "continuous"
    # Where the values come from: "default", "region" or "trust".
    source: Literal["default", "region", "trust"] = "default"
    # The policies row they were read from (None for the defaults).
    policy_id: int | None = None

    def values(self) -> dict[str, Any]:
        """The rule values alone (no provenance), e.g. to create a policies row."""
        data = asdict(self)
        data.pop("source")
        data.pop("policy_id")
        data["priority"] = list(self.priority)
        return data


DEFAULTS = EffectivePolicy(
    # Helse Vest's rules, in the engine's order: catchment, first choice, months of general
    # practice, courses, supervision group months, registration time, lottery (every key but
    # municipality_priority, which a region chooses when its municipalities state one).
    priority=tuple(k for k in PRIORITY_KEYS if k != "municipality_priority"),
    min_months_general_practice=36,
    fallback_months=2,
    mode="strict_priority",
    selection="solver",
    shortlist_size=3,
    confirmation="automatic",
    offer_days=14,
    endorsement_required=False,
    verified_progress_only=False,
    intake="continuous",
)
# Days before a round's application deadline at which GPs are reminded of it (once per round).
ROUND_REMINDER_DAYS = 14
RULE_FIELDS = tuple(
    f.name for f in fields(EffectivePolicy) if f.name not in ("source", "policy_id")
)


def _from_row(row: Policy, source: Literal["region", "trust"]) -> EffectivePolicy:
    values = {name: getattr(row, name) for name in RULE_FIELDS}
    # A column left empty (a row made before a rule existed) takes the default.
    values = {k: getattr(DEFAULTS, k) if v is None else v for k, v in values.items()}
    values["priority"] = tuple(values["priority"])
    if source == "trust" and row.trust is not None:  # a region's rule (EffectivePolicy)
        region = region_policy(row.trust.region)
        values["endorsement_required"] = region.endorsement_required
        values["verified_progress_only"] = region.verified_progress_only
    return replace(DEFAULTS, **values, source=source, policy_id=row.id)


def region_policy(region: Region) -> EffectivePolicy:
    """The region's rules: its own row, else the defaults."""
    row = region.policy
    return _from_row(row, "region") if row is not None else DEFAULTS


def effective_policy(trust: Trust) -> EffectivePolicy:
    """The rules for ``trust``: its own override, else its region's, else the defaults."""
    row = trust.own_policy
    return _from_row(row, "trust") if row is not None else region_policy(trust.region)


def row_values(spec: dict[str, Any]) -> dict[str, Any]:
    """The values of a new policies row from ``spec``, missing rules taken from the defaults
    (reference data files, a trust's new override)."""
    values = DEFAULTS.values()
    values.update({k: spec[k] for k in RULE_FIELDS if spec.get(k) is not None})
    values["priority"] = list(values["priority"])
    return values


# A shortlist lets the department choose: it needs at least two candidates to choose from
# (the Ahus pilot's wish, SEED-ahus-report).
SHORTLIST_MIN = 2


def policy_conflicts(values: dict[str, Any]) -> dict[str, str]:
    """Combinations of rules that cannot work together, as {field: code}; empty when the
    rules fit. ``values`` holds every rule (a policies row's values, merged with changes).
    The one check the policy form and the reference loader call (README, "Rules per
    region").

    - ``shortlist_size`` ``shortlist_too_small``: a shortlist of fewer than SHORTLIST_MIN
      candidates leaves the department nothing to choose.
    - ``mode`` ``shortlist_max_placements``: under a shortlist the department's choice
      replaces the engine's proposal, so the engine cannot fill as many periods as possible
      by passing over higher-ranked GPs; its proposals only mark a candidate.
    Automatic confirmation fits a shortlist: it applies when one candidate only is
    eligible (``department_chooses``)."""
    if values.get("selection") != "shortlist":
        return {}
    conflicts = {}
    size = values.get("shortlist_size")
    if isinstance(size, int) and not isinstance(size, bool) and size < SHORTLIST_MIN:
        conflicts["shortlist_size"] = "shortlist_too_small"
    if values.get("mode") == "max_placements":
        conflicts["mode"] = "shortlist_max_placements"
    return conflicts


def department_chooses(policy: EffectivePolicy, candidates: int) -> bool:
    """Whether the department must choose among ``candidates`` eligible GPs itself: under a
    shortlist whenever at least two are eligible. With one, the engine's proposal goes the
    way ``confirmation`` says (automatic: to the trust at once)."""
    return policy.selection == "shortlist" and candidates >= SHORTLIST_MIN


def init_app(app: Any) -> None:
    """Let templates read the rules in force the same way as the code does."""
    from app.rounds import upcoming

    app.jinja_env.globals.update(
        effective_policy=effective_policy, region_policy=region_policy, upcoming=upcoming
    )
