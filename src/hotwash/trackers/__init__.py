"""Pushing action items to GitHub, GitLab and Jira, and reading their state back."""
