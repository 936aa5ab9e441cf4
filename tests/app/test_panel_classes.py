"""The classes dock in the real window: add, rename, merge (dialogs patched) change the store and undo;
a recolour persists in the settings and recolours the palette and the canvas; counts follow edits; a
clicked class becomes the class for drawing (pytest-qt, offscreen)."""

from __future__ import annotations

import pytest
from canvas_driver import open_window
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from app.canvas import palette
from app.panels import classes
from app.settings import Settings


@pytest.fixture
def win(qtbot, tmp_path):
    win = open_window(qtbot, tmp_path)
    yield win
    win.close()
    palette.set_overrides({})  # the palette is module state: leave it as found


@pytest.fixture
def answers(monkeypatch):
    """What the patched dialogs answer: text (ask_text), item index (ask_item), colour (ask_color)."""
    given = {"text": None, "item": None, "color": None, "asked": []}

    def ask_text(_parent, title, label, text=""):
        given["asked"].append((title, label, text))
        return given["text"]

    def ask_item(_parent, title, label, items):
        given["asked"].append((title, label, tuple(items)))
        return given["item"]

    monkeypatch.setattr(classes, "ask_text", ask_text)
    monkeypatch.setattr(classes, "ask_item", ask_item)
    monkeypatch.setattr(classes, "ask_color", lambda _parent, _title, _initial: given["color"])
    return given


def _names(win) -> list[str]:
    return [c.name for c in win.session.project.categories()]


def _shown(win) -> list[tuple[str, int]]:
    table = win.classes.table
    return [(table.item(r, 0).text(), win.classes.count_of(r)) for r in range(table.rowCount())]


def _click(qtbot, win, row: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    rect = win.classes.table.visualItemRect(win.classes.table.item(row, 0))
    qtbot.mouseClick(win.classes.table.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def _button(win, name: str):
    return win.classes.findChild(classes.QToolButton, f"class_{name}_button")


def test_clicking_a_class_makes_it_the_class_for_drawing(win, qtbot):
    boat = win.session.categories()[1]
    with qtbot.waitSignal(win.session.current_category_changed) as signal:
        _click(qtbot, win, 1)
    assert signal.args == [boat.id] and win.canvas.current_category() == boat
    win.session.set_current_category(win.session.categories()[0].id)  # e.g. the digit 1 on the canvas
    assert win.classes.table.currentRow() == 0


def test_add_a_class_then_undo(win, qtbot, answers):
    answers["text"] = "kayak"
    qtbot.mouseClick(_button(win, "add"), Qt.MouseButton.LeftButton)
    assert _names(win) == ["ship", "boat", "kayak"]
    assert _shown(win)[-1] == ("kayak", 0)
    assert win.session.current_category_id == win.session.categories()[2].id
    assert win.session.undo()
    assert _names(win) == ["ship", "boat"] and win.classes.table.rowCount() == 2
    answers["text"] = None  # cancelled
    qtbot.mouseClick(_button(win, "add"), Qt.MouseButton.LeftButton)
    assert _names(win) == ["ship", "boat"]


def test_rename_by_double_click_and_f2_relabels_the_canvas(win, qtbot, answers):
    answers["text"] = "tanker"
    rect = win.classes.table.visualItemRect(win.classes.table.item(0, 0))
    _click(qtbot, win, 0)  # a real double-click starts with a press (the view checks it)
    qtbot.mouseDClick(win.classes.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert _names(win) == ["tanker", "boat"] and answers["asked"][-1][2] == "ship"
    assert "tanker" in {b.label.text for b in win.canvas.box_items()}
    _click(qtbot, win, 1)
    answers["text"] = "dinghy"
    qtbot.keyClick(win.classes.table, Qt.Key.Key_F2)
    assert _names(win) == ["tanker", "dinghy"] and _shown(win)[1][0] == "dinghy"
    win.session.undo()
    win.session.undo()
    assert _names(win) == ["ship", "boat"]


def test_merge_two_selected_classes_then_undo(win, qtbot, answers):
    before = dict(_shown(win))
    _click(qtbot, win, 0)
    _click(qtbot, win, 1, Qt.KeyboardModifier.ControlModifier)
    answers["item"] = 0  # keep "ship"
    qtbot.mouseClick(_button(win, "merge"), Qt.MouseButton.LeftButton)
    assert answers["asked"][-1][2] == ("ship", "boat")
    assert _names(win) == ["ship"] and _shown(win) == [("ship", before["ship"] + before["boat"])]
    assert {b.label.text for b in win.canvas.box_items()} == {"ship"}
    assert win.session.undo()
    assert dict(_shown(win)) == before


def test_counts_follow_object_edits(win, qtbot):
    session, image_id = win.session, win.session.current_image_id
    before = _shown(win)
    boat = session.categories()[1].id
    session.edit(lambda p: p.add_box(image_id, boat, (1, 1, 20, 20)), image_id=image_id)
    qtbot.waitUntil(lambda: _shown(win)[1][1] == before[1][1] + 1)
    session.undo()
    qtbot.waitUntil(lambda: _shown(win) == before)


def test_recolour_persists_and_recolours_palette_and_canvas(win, qtbot, answers, tmp_path):
    boat = win.session.categories()[1]
    _click(qtbot, win, 1)
    answers["color"] = QColor("#123456")
    qtbot.mouseClick(_button(win, "color"), Qt.MouseButton.LeftButton)
    settings = Settings(tmp_path / "config")
    assert settings.class_colors(win.session.project.path) == {boat.id: "#123456"}
    assert palette.class_color(1) == QColor("#123456") and palette.class_color(0) != QColor("#123456")
    boat_boxes = [b for b in win.canvas.box_items() if b.category_id == boat.id]
    assert boat_boxes and all(b.pen().color() == QColor("#123456") for b in boat_boxes)
    icon = win.classes.table.item(1, 0).icon().pixmap(classes.SWATCH).toImage()
    assert icon.pixelColor(classes.SWATCH // 2, classes.SWATCH // 2) == QColor("#123456")

    path = win.session.project.path
    win.close()
    palette.set_overrides({})
    again = open_window(qtbot, tmp_path)  # same user folders: the colour comes back
    assert again.session.project.path == path
    assert palette.class_color(1) == QColor("#123456")
    again.close()


def test_a_click_in_the_classes_list_gives_the_class_to_the_selected_box(qtbot, win):
    session = win.session
    boxes = session.annotations(session.current_image_id)
    target = next(i for i, c in enumerate(session.categories()) if c.id != boxes[0].category_id)
    session.select_annotation(boxes[0].id)
    table = win.classes.table
    rect = table.visualItemRect(table.item(target, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    changed = next(a for a in session.annotations(session.current_image_id) if a.id == boxes[0].id)
    assert changed.category_id == session.categories()[target].id
    assert session.undo()
    restored = next(a for a in session.annotations(session.current_image_id) if a.id == boxes[0].id)
    assert restored.category_id == boxes[0].category_id
