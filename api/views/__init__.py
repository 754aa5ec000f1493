"""REST API v1 views: thin classes that parse, call one service, serialize."""
