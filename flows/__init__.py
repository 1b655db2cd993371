"""Declarative conversation flows (YAML): one flow family per file, plus slots, responses and patterns."""
