"""python -m matching {solve,check,generate} ..."""

from .cli import main

raise SystemExit(main())
