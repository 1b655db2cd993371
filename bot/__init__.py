"""rdvbot's channel-agnostic core: clinics, scheduling, booking and conversation logic."""
