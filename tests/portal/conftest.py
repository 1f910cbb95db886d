from tests.api.conftest import client, world

__all__ = ["client", "world"]
