"""Booking: the port every scheduling back-end implements, and the built-in SQL scheduler."""
