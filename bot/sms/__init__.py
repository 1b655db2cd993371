"""SMS specifics shared by every channel that texts: segment counting and GSM-7-safe wording."""
