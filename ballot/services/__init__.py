"""Workflow services: each takes a Session, returns domain objects, never commits."""
