"""ixcenter: the open software platform of a neutral, multi-site Internet Exchange Center."""

__version__ = "0.1.0"
