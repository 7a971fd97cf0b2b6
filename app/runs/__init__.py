"""Matching runs: the nightly (or on-demand) run that expires offers, falls back to ordinary
advertising, builds the engine's problem from the database, solves it and stores proposals."""
