"""The demo territory: believable, fictional people of a CPTS, and a one-click sign-in."""
