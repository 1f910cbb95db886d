"""Server-rendered web pages (Jinja2, templates and styles shipped inside the package)."""
