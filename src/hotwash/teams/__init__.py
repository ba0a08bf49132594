"""Teams: who owns which services, and whose backlog an action item goes to."""
