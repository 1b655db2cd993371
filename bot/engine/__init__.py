"""The flow engine: runs the YAML flows with actions it is given. Importing it loads no adapter (no database,
Redis, Twilio or HTTP client): actions reach those through what they were built with."""
