"""A local stand-in for WeChat: the API server the service calls, and a sender of signed messages."""
