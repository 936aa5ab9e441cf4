"""The status bar: project name (and read-only), image count, current image's file name and size."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from app.session import NO_IMAGE, Session


class StudioStatusBar(QStatusBar):
    """Observes ``session``; ``project_label``, ``count_label`` and ``image_label`` hold the texts."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.project_label = QLabel()
        self.count_label = QLabel()
        self.image_label = QLabel()
        self.addWidget(self.project_label)
        self.addWidget(self.count_label)
        self.addPermanentWidget(self.image_label)
        session.project_changed.connect(self._project_changed)
        session.image_selected.connect(self._image_selected)
        self._project_changed()

    def _project_changed(self) -> None:
        project = self.session.project
        if project is None:
            self.project_label.setText("No project open")
            self.count_label.setText("")
            return
        suffix = "  (read-only)" if self.session.readonly else ""
        self.project_label.setText(f"Project: {self.session.project_name}{suffix}")
        total = project.count_images()
        self.count_label.setText(f"{total} image{'s' if total != 1 else ''}")

    def _image_selected(self, image_id: int) -> None:
        row = self.session.current_image() if image_id != NO_IMAGE else None
        self.image_label.setText("" if row is None else f"{row.file_name}  {row.width} x {row.height}")
