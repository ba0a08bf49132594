"""Action items: one owner, a due date, followed through to done."""
