"""The canvas's keyboard commands (its rows of ``app.actions.ACTIONS``): tools, nudge, delete, class
digits, keypoint visibility, labels, undo/redo, mark done, copy from the previous image, and a model's
suggestions (accept / reject the highlighted one or all of the image's; Esc rejects before it deselects).

Every edit is one ``session.edit`` call through ``app.canvas.edits``; commands that need a selected
box or an open, writable image do nothing without one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from app.canvas import edits, suggestions
from app.session import NO_ANNOTATION, NO_IMAGE

if TYPE_CHECKING:
    from app.canvas.view import CanvasView

NUDGES = {"left": (-1, 0), "right": (1, 0), "up": (0, -1), "down": (0, 1)}
FAR = 10  # pixels a Shift+arrow nudge moves
CLASS_KEYS = range(1, 10)  # digits 1-9 pick class index digit - 1


class CanvasCommands:
    """Handlers for ``view``; ``handlers()`` maps action names to them."""

    def __init__(self, view: CanvasView) -> None:
        self.view = view
        self.session = view.session

    def handlers(self) -> dict[str, Callable[[], object]]:
        out: dict[str, Callable[[], object]] = {
            "undo": self.session.undo,
            "redo": self.session.redo,
            "actual_size": self.view.actual_size,
            "toggle_labels": lambda: self.view.set_labels_visible(not self.view.show_labels),
            "draw_boxes": lambda: self.toggle_tool("draw"),
            "place_keypoints": lambda: self.toggle_tool("keypoints"),
            "cycle_visibility": self.cycle_visibility,
            "delete_box": self.delete_selected,
            "escape": self.escape,
            "mark_done": self.mark_done,
            "copy_previous": self.copy_previous,
            "accept_suggestion": self.accept_suggestion,
            "reject_suggestion": self.reject_suggestion,
            "accept_all_suggestions": self.accept_all_suggestions,
            "reject_all_suggestions": self.reject_all_suggestions,
        }
        for name, (dx, dy) in NUDGES.items():
            out[f"nudge_{name}"] = lambda dx=dx, dy=dy: self.nudge(dx, dy)
            out[f"nudge_{name}_far"] = lambda dx=dx, dy=dy: self.nudge(dx * FAR, dy * FAR)
        for digit in CLASS_KEYS:
            out[f"class_{digit}"] = lambda i=digit - 1: self.pick_class(i)
        return out

    def _editable(self) -> bool:
        session = self.session
        return self.view.image_id != NO_IMAGE and session.project is not None and not session.readonly

    # ------------------------------------------------------------------ tools and selection
    def toggle_tool(self, name: str) -> None:
        """Turn tool ``name`` on, or back to select when it already is on."""
        if not self._editable():
            return
        self.view.set_tool("select" if self.view.tool.name == name else name)

    def escape(self) -> None:
        """Drop a gesture under way, else reject the highlighted suggestion, else leave a drawing tool,
        else deselect."""
        tool = self.view.tool
        if getattr(tool, "drag", None) is not None or getattr(tool, "start", None) is not None:
            tool.cancel()
        elif self.view.suggestions.count(self.view.image_id):
            self.reject_suggestion()
        elif tool.name != "select":
            self.view.set_tool("select")
        else:
            self.view.select(NO_ANNOTATION)

    # ------------------------------------------------------------------ edits of the selected box
    def nudge(self, dx: float, dy: float) -> None:
        """Move the selected box by (dx, dy) pixels, kept inside the image."""
        ann = self.view.selected_annotation()
        if ann is None or not self._editable():
            return
        width, height = self.view.image_size()
        box = edits.moved_box(ann.box, dx, dy, width, height)
        if box != ann.box:
            edits.set_box(self.session, self.view.image_id, ann.id, box, move=True)

    def delete_selected(self) -> None:
        ann = self.view.selected_annotation()
        if ann is not None and self._editable():
            edits.delete_box(self.session, self.view.image_id, ann.id)

    def pick_class(self, index: int) -> None:
        """Class ``index`` (order of ``session.categories()``) becomes the current class and, when a
        box is selected, that box's class."""
        categories = self.session.categories()
        if not 0 <= index < len(categories):
            return
        category = categories[index]
        self.session.set_current_category(category.id)
        if self.view.selected_annotation() is not None and self._editable():
            self.session.give_selected_class(category.id)
        self.view.show_hint()

    def cycle_visibility(self) -> None:
        """The hovered keypoint (else the last placed or dragged one) goes v 2 -> 1 -> 0 -> 2; at 0
        it is hidden but keeps its slot and position."""
        target = self.view.hovered_keypoint or self.view.active_keypoint
        if target is None or not self._editable():
            return
        ann_id, k = target
        ann = next((a for a in self.view.annotations if a.id == ann_id), None)
        if ann is None or ann.keypoints is None or k >= len(ann.keypoints):
            return
        x, y, v = (float(c) for c in np.asarray(ann.keypoints)[k])
        self.view.active_keypoint = target
        edits.set_keypoint(self.session, self.view.image_id, ann_id, k, x, y, edits.NEXT_VISIBILITY[int(v)])

    # ------------------------------------------------------------------ a model's suggestions
    def accept_suggestion(self) -> None:
        """Store the highlighted suggestion as an object (one undo step) and select it; the next
        suggestion becomes the highlighted one."""
        image_id = self.view.image_id
        if not self._editable() or not self.view.suggestions.count(image_id):
            return
        board = self.view.suggestions
        index = board.current(image_id)
        new_id = suggestions.accept(self.session, image_id, board.get(image_id)[index])
        board.take(image_id, index)  # only once stored: a failed edit keeps the suggestion
        self.view.select(new_id)

    def reject_suggestion(self) -> None:
        self.view.suggestions.take(self.view.image_id)

    def accept_all_suggestions(self) -> None:
        """Store every suggestion of the image as objects, in one undo step."""
        image_id = self.view.image_id
        if self._editable() and self.view.suggestions.count(image_id):
            suggestions.accept_all(self.session, image_id, self.view.suggestions.get(image_id))
            self.view.suggestions.take_all(image_id)

    def reject_all_suggestions(self) -> None:
        self.view.suggestions.take_all(self.view.image_id)

    # ------------------------------------------------------------------ the image
    def mark_done(self) -> None:
        if self._editable():
            edits.mark_done(self.session, self.view.image_id)

    def copy_previous(self) -> None:
        """Copy every object of the previous image onto this one (one undo step)."""
        if not self._editable():
            return
        source = self.view.previous_image(self.view.image_id)
        if source is None:
            return
        edits.copy_boxes(self.session, source, self.view.image_id)
