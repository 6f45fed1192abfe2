"""Test support code that must not ship in the Lambda layer (e.g. the simulated Runway API)."""
