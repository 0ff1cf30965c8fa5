"""The one-command demo, run as installers run it."""
