"""The 8 resize handles of a selected box: where they are and what dragging one does to the box.

A handle is ``(sx, sy)`` with sx, sy in {-1, 0, 1}: -1 moves the left (top) edge, +1 the right
(bottom) edge, 0 leaves that axis alone; (0, 0) is not a handle. Rects are in scene coordinates
(image pixels); hit tests are in viewport pixels so handles keep their screen size at any zoom.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt

Handle = tuple[int, int]

HANDLES: tuple[Handle, ...] = ((-1, -1), (0, -1), (1, -1), (1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0))
HANDLE_SIZE = 8.0  # screen pixels, the drawn square's side
HANDLE_REACH = 7.0  # screen pixels from a handle's centre that still grab it


def handle_point(rect: QRectF, handle: Handle) -> QPointF:
    """Where ``handle`` sits on ``rect``: a corner or the middle of an edge."""
    sx, sy = handle
    x = (rect.left(), rect.center().x(), rect.right())[sx + 1]
    y = (rect.top(), rect.center().y(), rect.bottom())[sy + 1]
    return QPointF(x, y)


def handle_at(points: dict[Handle, QPointF], pos: QPointF, reach: float = HANDLE_REACH) -> Handle | None:
    """The handle whose viewport position in ``points`` is nearest to ``pos`` within ``reach``."""
    best, best_d = None, reach * reach
    for handle, p in points.items():
        d = (p.x() - pos.x()) ** 2 + (p.y() - pos.y()) ** 2
        if d <= best_d:
            best, best_d = handle, d
    return best


def resized(rect: QRectF, handle: Handle, pos: QPointF) -> QRectF:
    """``rect`` with the edges ``handle`` names moved to ``pos`` (scene), normalised (may be empty)."""
    left, top, right, bottom = rect.left(), rect.top(), rect.right(), rect.bottom()
    sx, sy = handle
    if sx < 0:
        left = pos.x()
    elif sx > 0:
        right = pos.x()
    if sy < 0:
        top = pos.y()
    elif sy > 0:
        bottom = pos.y()
    return QRectF(QPointF(min(left, right), min(top, bottom)), QPointF(max(left, right), max(top, bottom)))


def cursor_for(handle: Handle) -> Qt.CursorShape:
    """The resize cursor shape that matches ``handle``'s direction."""
    sx, sy = handle
    if sx == 0:
        return Qt.CursorShape.SizeVerCursor
    if sy == 0:
        return Qt.CursorShape.SizeHorCursor
    return Qt.CursorShape.SizeFDiagCursor if sx == sy else Qt.CursorShape.SizeBDiagCursor
