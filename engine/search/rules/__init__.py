"""Ranking rules, one per module; see base.py for the contract every rule keeps."""
