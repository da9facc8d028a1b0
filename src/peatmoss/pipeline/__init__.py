"""Whole-pipeline entry points (the demo)."""
