"""Store backends behind one interface; `open_store` picks one from the settings."""

from __future__ import annotations

from lagrum.settings import Settings
from lagrum.store.base import Store


def open_store(settings: Settings, dim: int, create: bool = True) -> Store:
    """The Qdrant server backend when `LAGRUM_QDRANT_URL` is set, else the embedded Edge shard."""
    if settings.qdrant_url:
        from lagrum.store.server import ServerStore

        return ServerStore.connect(settings, dim=dim, create=create)
    from lagrum.store.edge import EdgeStore

    return EdgeStore.open(
        settings.index_dir,
        dim=dim,
        create=create,
        quantization=settings.edge_quantization,
        hnsw_ef=settings.edge_hnsw_ef,
        oversampling=settings.edge_oversampling,
    )
