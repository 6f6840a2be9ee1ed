"""Extension objects, created unbound at import and bound to an app in the factory."""

from __future__ import annotations

from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy

from hotline.models.base import Base

db = SQLAlchemy(metadata=Base.metadata)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
