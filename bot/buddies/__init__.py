"""Buddy pairing: profiles, matching, pairs, follow-ups, reports."""
