"""The site: users, devices, hunt groups and the numbering plan (site.yaml)."""
