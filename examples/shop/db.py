"""One engine and one session factory for the whole application."""
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

engine = create_engine("sqlite+pysqlite:///:memory:")
SessionLocal = sessionmaker(engine)
