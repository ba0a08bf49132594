"""Trigger policies that open, propose or notify incidents on their own."""
