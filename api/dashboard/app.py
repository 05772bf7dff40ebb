"""How the dashboard joins the app: its pages, its static files and its templates.

Its paths are left out of the bearer-token middleware: a page checks the session cookie
itself (api.dashboard.pages), with the same token lookup and the same reach rules.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from api.dashboard.pages import DashboardPages

HERE = Path(__file__).parent
DASHBOARD_PATHS = ["^/dash"]


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    """Jinja2 templates, autoescaped (text from outside is never markup)."""
    return TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine)


def dashboard_handlers() -> list[Any]:
    """The pages and the static files (every script and style served by the app)."""
    static = create_static_files_router(
        path="/dash/static", directories=[HERE / "static"], include_in_schema=False
    )
    return [DashboardPages, static]
