"""Help > Keyboard Shortcuts: generated from app.actions.ACTIONS; every action with a key is listed."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QKeySequence

from app.__main__ import create_window
from app.actions import ACTIONS, ActionSpec
from app.dialogs.shortcuts import ShortcutsDialog, plain, shortcut_rows
from app.settings import UserDirs


@pytest.fixture
def window(qtbot, tmp_path):
    dirs = UserDirs(data=tmp_path / "data", config=tmp_path / "config", cache=tmp_path / "cache")
    win = create_window(None, dirs)
    qtbot.addWidget(win)
    yield win
    win.close()


def test_the_help_menu_opens_a_sheet_listing_every_shortcut_the_window_has(qtbot, window):
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus[-1] == "&Help" and menus[0] == "&File"
    window.actions_by_name["keyboard_shortcuts"].trigger()
    sheet = window.findChild(ShortcutsDialog)
    assert sheet is not None and sheet.isVisible()
    shown = {(text, keys) for _menu, text, keys in sheet.shown_rows()}
    with_keys = [(name, a) for name, a in window.actions_by_name.items() if a.shortcuts()]
    assert len(with_keys) >= 6
    for _name, action in with_keys:
        keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())
        assert (plain(action.text()), keys) in shown, action.text()
    assert len(sheet.shown_rows()) == len(ACTIONS)
    sheet.close()


def test_rows_follow_the_table_grouped_by_menu():
    rows = shortcut_rows()
    menus = [m.split(" › ")[0] for m, _, _ in rows]
    assert menus == sorted(menus, key=menus.index)  # each top-level menu's rows together
    assert menus[-1] == "Help"
    assert ("File", "Export", "Ctrl+E") in rows and ("Help", "Keyboard Shortcuts", "F1") in rows


def test_alternative_shortcuts_are_listed_too(qtbot):
    spec = ActionSpec("redo", "&Redo", "&Edit", "Ctrl+Shift+Z", "Redo", ("Ctrl+Y",))
    dialog = ShortcutsDialog(None, [spec])
    qtbot.addWidget(dialog)
    assert dialog.shown_rows() == [("Edit", "Redo", "Ctrl+Shift+Z, Ctrl+Y")]
