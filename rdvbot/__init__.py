"""The `rdvbot` command line (SPEC §3)."""
