"""Samvær: a platform-neutral community bot for check-ins, buddies and shared meals."""

__version__ = "0.1.0"
