"""Reference data: loading regions, trusts, sites, departments, specialties, municipalities."""
