"""Organisers' tools: room bindings, roles, statistics, exports, reports, linked identities."""
