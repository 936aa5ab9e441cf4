"""Every menu action and shortcut, in one declarative table (DESIGN: actions.py).

``build_actions(parent, handlers)`` makes one QAction per row, named by ``ActionSpec.name`` (also its
objectName), and connects it to ``handlers[name]``; ``build_menus`` puts them in the menu bar.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenuBar, QWidget


@dataclass(frozen=True)
class ActionSpec:
    name: str  # handler key and objectName
    text: str  # menu text, & marks the mnemonic
    menu: str  # menu title
    shortcut: str  # QKeySequence text ('' for none)
    tip: str  # status tip
    more_shortcuts: tuple[str, ...] = ()  # further key sequences for the same action
    scope: str = "window"  # "canvas": the keys work only while the canvas has the keyboard focus

    @property
    def shortcuts(self) -> tuple[str, ...]:
        """Every key sequence of the row: ``shortcut``, then ``more_shortcuts``."""
        return tuple(k for k in (self.shortcut, *self.more_shortcuts) if k)


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("open_project", "&Open…", "&File", "Ctrl+O",
               "Open a .tern project, or a YOLO data.yaml or COCO json dataset (imported into a project)"),
    ActionSpec("open_folder", "Open Dataset &Folder…", "&File", "Ctrl+Shift+O",
               "Open a YOLO folder (with its data.yaml) or a COCO folder (annotations/*.json)"),
    ActionSpec("import_dataset", "&Import Dataset…", "&File", "Ctrl+I",
               "Make a project from a YOLO data.yaml or a COCO json"),
    ActionSpec("open_recent", "Open &Recent", "&File", "", "Projects opened lately"),
    ActionSpec("export", "&Export…", "&File", "Ctrl+E",
               "Write the project as YOLO or COCO, to a new folder or back into its source dataset"),
    ActionSpec("relink_missing", "Re&link Missing Images…", "&File", "",
               "Point images whose files moved at a folder that holds them"),
    ActionSpec("quit", "&Quit", "&File", "Ctrl+Q", "Close Tern Studio"),
    ActionSpec("edit_skeleton", "&Skeleton…", "&Edit", "",
               "Keypoint names, skeleton edges and flip partners of the project (COCO-17 preset)"),
    ActionSpec("fit_view", "&Fit Image", "&View", "F", "Show the whole image"),
    # ---- canvas: navigation and editing (handlers: app.canvas.commands.CanvasCommands)
    ActionSpec("actual_size", "&Actual Size", "&View", "Ctrl+1", "One screen pixel per image pixel"),
    ActionSpec("toggle_labels", "Hide/Show &Labels", "&View", "L", "Hide or show the class names on boxes"),
    ActionSpec("undo", "&Undo", "&Edit", "Ctrl+Z", "Undo the last edit (no depth limit)"),
    ActionSpec("redo", "&Redo", "&Edit", "Ctrl+Shift+Z", "Redo the last undone edit", ("Ctrl+Y",)),
    ActionSpec("delete_box", "&Delete Box", "&Edit", "Del", "Delete the selected box", ("Backspace",),
               "canvas"),
    ActionSpec("escape", "Deselect / Stop Tool / Reject Suggestion", "&Edit", "Esc",
               "Cancel a drag, else reject the highlighted suggestion, else leave drawing or keypoint "
               "placement, else deselect", scope="canvas"),
    *(ActionSpec(f"nudge_{d}{far}", f"Nudge {d.title()}{' 10 px' if far else ''}", "&Edit/&Nudge Box",
                 f"{'Shift+' if far else ''}{d.title()}", f"Move the selected box {10 if far else 1} px {d}",
                 scope="canvas") for far in ("", "_far") for d in ("left", "right", "up", "down")),
    ActionSpec("draw_boxes", "&Draw Boxes", "&Label", "W", "Press, drag and release to draw a box"),
    ActionSpec("place_keypoints", "Place &Keypoints", "&Label", "K",
               "Click to place the selected box's keypoints in order"),
    ActionSpec("cycle_visibility", "Keypoint &Visibility", "&Label", "V",
               "The hovered (or last placed) keypoint: visible -> occluded -> not labeled -> visible"),
    *(ActionSpec(f"class_{i}", f"Class {i}", "&Label/&Class", str(i),
                 f"Class {i} for new boxes and the selected box") for i in range(1, 10)),
    # ---- classes and problems docks (handlers: app.panels.classes, app.panels.problems)
    ActionSpec("new_class", "&New Class…", "&Label/&Class", "", "Add a class to the project"),
    ActionSpec("rename_class", "&Rename Class…", "&Label/&Class", "F2", "Rename the selected class"),
    ActionSpec("merge_classes", "&Merge Classes…", "&Label/&Class", "",
               "Move every object of the selected class into another class and remove it"),
    ActionSpec("recolor_class", "Class C&olour…", "&Label/&Class", "",
               "Choose the selected class's colour (kept for this project)"),
    ActionSpec("check_problems", "Check for &Problems", "&View", "",
               "Boxes outside their image or empty, duplicates, keypoints outside, missing files"),
    ActionSpec("mark_done", "&Mark Done", "&Label", "Ctrl+Return",
               "Mark this image done (done, no objects when it has none)"),
    ActionSpec("copy_previous", "&Copy Boxes from Previous Image", "&Label", "Ctrl+Shift+V",
               "Copy every box and keypoint of the previous image onto this one (one undo step)"),
    # ---- model-assisted labeling (handlers: app.assist.controller; the suggestion keys: app.canvas.commands)
    ActionSpec("prelabel_current", "Pre-label &Current Image…", "&Model", "",
               "Run a trained detector or pose model on this image; its detections appear as suggestions"),
    ActionSpec("prelabel_unlabeled", "Pre-label &Unlabeled Images…", "&Model", "",
               "Run a model on every image without objects that is not marked done, in the background"),
    ActionSpec("accept_suggestion", "&Accept Suggestion", "&Model", "Return",
               "Store the highlighted suggestion as an object (undoable)", ("Enter",), "canvas"),
    ActionSpec("reject_suggestion", "&Reject Suggestion", "&Model", "",
               "Drop the highlighted suggestion (Esc does it too while the image has suggestions)",
               scope="canvas"),
    ActionSpec("accept_all_suggestions", "Accept A&ll Suggestions", "&Model", "Shift+Return",
               "Store every suggestion of this image as objects (one undo step)", ("Shift+Enter",), "canvas"),
    ActionSpec("reject_all_suggestions", "Reject All Su&ggestions", "&Model", "Shift+Esc",
               "Drop every suggestion of this image", scope="canvas"),
    # ---- training (handler: app.dialogs.train)
    ActionSpec("train", "&Train…", "&Train", "Ctrl+T",
               "Train a detector, pose model or RAW denoiser on this project in a background process"),
    ActionSpec("compare_raw", "&Compare RAW…", "&Train", "",
               "Noisy, denoised and clean RAW files side by side or split A/B, with PSNR and SSIM"),
    ActionSpec("previous_image", "&Previous Image", "&Go", "A", "Select the previous image in the list"),
    ActionSpec("next_image", "&Next Image", "&Go", "D", "Select the next image in the list"),
    ActionSpec("keyboard_shortcuts", "&Keyboard Shortcuts", "&Help", "F1",
               "Every action and its keys, from this table"),
)


def build_actions(parent: QWidget, handlers: Mapping[str, Callable[[], object]],
                  scopes: Mapping[str, QWidget] | None = None) -> dict[str, QAction]:
    """One QAction per ACTIONS row, triggered -> handlers[name]. KeyError names a missing handler.
    A row whose ``scope`` names a widget in ``scopes`` has keys that work only while that widget (or
    a child) has the focus; other rows' keys work anywhere in ``parent``'s window."""
    missing = [spec.name for spec in ACTIONS if spec.name not in handlers]
    if missing:
        raise KeyError(f"no handler for actions: {', '.join(missing)}")
    actions: dict[str, QAction] = {}
    for spec in ACTIONS:
        action = QAction(spec.text, parent)
        action.setObjectName(spec.name)
        if spec.shortcuts:
            action.setShortcuts([QKeySequence(k) for k in spec.shortcuts])
        action.setStatusTip(spec.tip)
        handler = handlers[spec.name]
        action.triggered.connect(lambda _checked=False, h=handler: h())
        owner = (scopes or {}).get(spec.scope, parent)
        if owner is not parent:
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        owner.addAction(action)
        actions[spec.name] = action
    return actions


def build_menus(menu_bar: QMenuBar, actions: Mapping[str, QAction]) -> None:
    """Menus in the order their first action appears in ACTIONS, Help last."""
    menus = {}
    for spec in sorted(ACTIONS, key=lambda s: s.menu == "&Help"):  # stable: table order otherwise
        if spec.menu not in menus:  # "Menu/Submenu" nests one level
            top, _, sub = spec.menu.partition("/")
            if top not in menus:
                menus[top] = menu_bar.addMenu(top)
            if sub:
                menus[spec.menu] = menus[top].addMenu(sub)
        if spec.name == "quit":
            menus[spec.menu].addSeparator()
        menus[spec.menu].addAction(actions[spec.name])
