"""python -m matching {solve,check,generate} ..."""

from .cli import main

if __name__ == "__main__":  # not when a solver's child process imports the main module
    raise SystemExit(main())
