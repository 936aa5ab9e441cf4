"""Every menu action and shortcut, in one declarative table (DESIGN: actions.py).

``build_actions(parent, handlers)`` makes one QAction per row, named by ``ActionSpec.name`` (also its
objectName), and connects it to ``handlers[name]``; ``build_menus`` puts them in the menu bar.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenuBar, QWidget


@dataclass(frozen=True)
class ActionSpec:
    name: str  # handler key and objectName
    text: str  # menu text, & marks the mnemonic
    menu: str  # menu title
    shortcut: str  # QKeySequence text ('' for none)
    tip: str  # status tip


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("open_project", "&Open Project…", "&File", "Ctrl+O", "Open a .tern project"),
    ActionSpec("import_dataset", "&Import Dataset…", "&File", "Ctrl+I",
               "Make a project from a YOLO data.yaml or a COCO json"),
    ActionSpec("relink_missing", "Re&link Missing Images…", "&File", "",
               "Point images whose files moved at a folder that holds them"),
    ActionSpec("quit", "&Quit", "&File", "Ctrl+Q", "Close Tern Studio"),
    ActionSpec("fit_view", "&Fit Image", "&View", "F", "Show the whole image"),
    ActionSpec("previous_image", "&Previous Image", "&Go", "A", "Select the previous image in the list"),
    ActionSpec("next_image", "&Next Image", "&Go", "D", "Select the next image in the list"),
)


def build_actions(parent: QWidget, handlers: Mapping[str, Callable[[], object]]) -> dict[str, QAction]:
    """One QAction per ACTIONS row, triggered -> handlers[name]. KeyError names a missing handler."""
    missing = [spec.name for spec in ACTIONS if spec.name not in handlers]
    if missing:
        raise KeyError(f"no handler for actions: {', '.join(missing)}")
    actions: dict[str, QAction] = {}
    for spec in ACTIONS:
        action = QAction(spec.text, parent)
        action.setObjectName(spec.name)
        if spec.shortcut:
            action.setShortcut(QKeySequence(spec.shortcut))
        action.setStatusTip(spec.tip)
        handler = handlers[spec.name]
        action.triggered.connect(lambda _checked=False, h=handler: h())
        parent.addAction(action)
        actions[spec.name] = action
    return actions


def build_menus(menu_bar: QMenuBar, actions: Mapping[str, QAction]) -> None:
    """Menus in the order their first action appears in ACTIONS."""
    menus = {}
    for spec in ACTIONS:
        if spec.menu not in menus:
            menus[spec.menu] = menu_bar.addMenu(spec.menu)
        if spec.name == "quit":
            menus[spec.menu].addSeparator()
        menus[spec.menu].addAction(actions[spec.name])
