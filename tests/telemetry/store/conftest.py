from tests.telemetry.store.world import demo_registry

__all__ = ["demo_registry"]
