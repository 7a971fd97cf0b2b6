"""The ALIS matching engine: a pure library (OR-Tools, no web framework, no database).

from matching import load_problem, solve, result_to_json
result = solve(load_problem("problem.json"), time_limit_s=30)
"""

from .api import eligibility, pair_reasons, rank_candidates
from .errors import ProblemError
from .model import (
    GP,
    MAX_PLACEMENTS,
    STRICT,
    Availability,
    Department,
    PairRef,
    Period,
    Policy,
    Problem,
    TrustPolicy,
)
from .parse import load_problem, problem_from_json, problem_to_json
from .priority import Candidate, lottery_number, municipality_rank
from .result import (
    Assignment,
    BlockingPair,
    GPReasons,
    Metrics,
    PassedOver,
    Reason,
    Result,
    dumps,
    result_from_json,
    result_to_json,
)
from .solver import solve

__all__ = [
    "GP",
    "MAX_PLACEMENTS",
    "STRICT",
    "Assignment",
    "Availability",
    "BlockingPair",
    "PassedOver",
    "Candidate",
    "Department",
    "GPReasons",
    "Metrics",
    "PairRef",
    "Period",
    "Policy",
    "Problem",
    "ProblemError",
    "Reason",
    "Result",
    "TrustPolicy",
    "dumps",
    "eligibility",
    "load_problem",
    "lottery_number",
    "municipality_rank",
    "pair_reasons",
    "problem_from_json",
    "problem_to_json",
    "rank_candidates",
    "result_from_json",
    "result_to_json",
    "solve",
]
