"""Email reminders and digests, and the signed outbound webhook."""
