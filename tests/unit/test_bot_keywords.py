"""The bot's keywords: each starts exactly one flow."""

def test_no_keyword_starts_two_flows():
    import bot.flows  # noqa: F401 - registers the flows
    from bot.dispatcher import FLOWS
    seen = {}
    for flow in FLOWS.values():
        for keyword in flow.keywords:
            assert keyword not in seen, f"{keyword!r} starts both {seen[keyword]} and {flow.name}"
            seen[keyword] = flow.name
