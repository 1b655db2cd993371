"""`python -m rdvbot` is the same as the `rdvbot` command."""

from rdvbot.cli import main

main()
