"""What a canvas tool is: the view calls ``press`` / ``move`` / ``release`` with scene positions
(image pixels) and viewport positions, and shows ``hint()`` and ``cursor``."""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QPointF, Qt


class Tool(Protocol):
    name: str  # "select" | "draw" | "keypoints"
    cursor: Qt.CursorShape
    crosshair: bool  # the view draws full-width cursor lines while this tool is active

    def press(self, scene: QPointF, viewport: QPointF) -> None: ...

    def move(self, scene: QPointF, viewport: QPointF) -> None: ...

    def release(self, scene: QPointF, viewport: QPointF) -> None: ...

    def cancel(self) -> None:
        """Drop a gesture under way (nothing is stored)."""

    def hint(self) -> str:
        """What a click would do now ('' for nothing to say)."""
