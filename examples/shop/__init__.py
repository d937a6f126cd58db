"""A tiny shop in the style of the SQLAlchemy 2.0 ORM tutorial, used to demonstrate session-lint."""
