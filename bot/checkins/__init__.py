"""Check-ins: how people feel, reminders, and alerts a volunteer may act on."""
