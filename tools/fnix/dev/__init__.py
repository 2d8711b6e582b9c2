"""Developer tooling: a project-local Azurite, a generated business day, the demo's publisher. Never deployed."""
