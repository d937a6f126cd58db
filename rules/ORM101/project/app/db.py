from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker
from flask_sqlalchemy import SQLAlchemy

engine = create_engine("sqlite://")
SessionLocal = sessionmaker(
    bind=engine,
    expire_on_commit=False,
)
db = SQLAlchemy()
