"""Routes: Coordinators: the region's overview, matching runs, overrides, policies, the audit log."""
