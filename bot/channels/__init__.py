"""How each channel puts the engine's replies into words (no transport code here: that is `webhooks/`)."""
