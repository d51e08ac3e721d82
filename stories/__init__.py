"""A wish's whole story: what came of it (merged, asked in a survey, decided in a vote, built as a project item,
accepted). A read-side view over wishes, surveys, votes and projects, like oversight/; the domains do not
know it exists, and a scheduled job tells each author of every new step."""
