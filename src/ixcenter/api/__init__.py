"""The REST API: a FastAPI app over the registry services (``create_app``), with token roles."""
