"""Conversation state keyed by (clinic number, patient number) in E.164, with a TTL: in-process or Redis."""
