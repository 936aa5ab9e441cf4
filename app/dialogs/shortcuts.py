"""Help > Keyboard Shortcuts: a sheet generated from the one table of actions (``app.actions.ACTIONS``),
never a hand-written list, so it cannot drift from what the keys do."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.actions import ACTIONS, ActionSpec

COLUMNS = ("Menu", "Action", "Shortcut")


def plain(text: str) -> str:
    """Menu text as shown to a reader: no '&' mnemonic marks, no trailing ellipsis."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").rstrip(".")


def spec_shortcuts(spec: ActionSpec) -> list[str]:
    """Every key sequence of one row (``shortcut``, then ``more_shortcuts``) in the platform's own
    words, e.g. 'Ctrl+Shift+Z'."""
    return [QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText) for k in spec.shortcuts]


def shortcut_rows(specs: Sequence[ActionSpec] = ACTIONS) -> list[tuple[str, str, str]]:
    """(menu, action, shortcuts joined by ', ') per row, grouped by top-level menu in menu-bar order
    (Help last, as ``build_menus`` does; a submenu shows as 'Edit › Nudge Box'); actions without a
    shortcut are listed too (with '')."""
    tops = list(dict.fromkeys(_top(spec) for spec in sorted(specs, key=lambda s: _top(s) == "&Help")))
    ordered = sorted(specs, key=lambda spec: tops.index(_top(spec)))
    return [(plain(s.menu).replace("/", " › "), plain(s.text), ", ".join(spec_shortcuts(s)))
            for s in ordered]


def _top(spec: ActionSpec) -> str:
    return spec.menu.partition("/")[0]


class ShortcutsDialog(QDialog):
    """A read-only table: menu, action, shortcut(s)."""

    def __init__(self, parent: QWidget | None = None, specs: Sequence[ActionSpec] = ACTIONS) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard Shortcuts")
        rows = shortcut_rows(specs)
        self.table = QTableWidget(len(rows), len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        previous_menu = None
        for r, (menu, text, keys) in enumerate(rows):
            shown = (menu if menu != previous_menu else "", text, keys)
            previous_menu = menu
            for c, value in enumerate(shown):
                item = QTableWidgetItem(value)
                if c == 2:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(r, c, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        note = QLabel("Every menu action and its keys (from the studio's one table of actions).", self)
        note.setAlignment(Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(note)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(560, min(720, 120 + 30 * len(rows)))

    def shown_rows(self) -> list[tuple[str, str, str]]:
        """What the table shows, row by row (the menu cell is blank under its first row)."""
        return [tuple(self.table.item(r, c).text() for c in range(3))  # type: ignore[misc]
                for r in range(self.table.rowCount())]


def show_shortcuts(parent: QWidget | None) -> ShortcutsDialog:
    """Open the sheet (non-modal) and return it."""
    dialog = ShortcutsDialog(parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
