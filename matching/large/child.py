"""A child process of race.py: `python -m matching.large.child KIND FD` with the job on its
standard input (a module of its own, so that running it does not import race.py twice)."""

from __future__ import annotations

import pickle
import sys
from multiprocessing.connection import Connection

from .race import CHILDREN

if __name__ == "__main__":
    CHILDREN[sys.argv[1]](
        Connection(int(sys.argv[2]), readable=False), pickle.load(sys.stdin.buffer)
    )
