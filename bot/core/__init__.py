"""The domain vocabulary every other part of rdvbot speaks: channels, statuses, parts of the day, the clock, a turn's
deadline and the booking port's values. It imports nothing of rdvbot's, so anything may import it."""
