"""Request and response bodies of the API (pydantic lives here and nowhere deeper)."""
