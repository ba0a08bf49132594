"""The blameless-language assistant: flags blameful wording in incident
writing (names as causes, "human error", hindsight, judgement, blame)."""
