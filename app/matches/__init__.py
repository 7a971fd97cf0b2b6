"""Matches: proposals, offers and placements, and the decisions people make about them."""
