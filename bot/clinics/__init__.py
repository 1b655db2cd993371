"""Clinic configuration and calendars (opening hours, closures, Québec statutory holidays)."""
