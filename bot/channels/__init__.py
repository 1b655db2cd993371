"""How each channel puts the engine's replies into words, and how a text the patient did not ask for (a kept
request handled) is sent through Twilio's REST API. Answers to webhooks are rendered in `webhooks/`."""
