"""Local stand-ins, over real HTTP on 127.0.0.1, for what cannot run here: a clinic's FHIR server, a SMART
Scheduling Links publisher and Twilio's REST API. Tests and benchmarks use them; the product never does."""
