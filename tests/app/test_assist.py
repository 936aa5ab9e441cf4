"""Model-assisted labeling in the studio window (pytest-qt, offscreen): suggestions drawn dashed and out
of the way of clicks, Enter / Esc / Shift+Enter / Shift+Esc, accepted suggestions as undoable objects
with keypoints, a background run of a real tiny ONNX pose model over three unlabeled images, Cancel,
classes the project lacks (added or skipped), and a denoiser refused with a clear message."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from canvas_driver import click, key, open_window, to_view
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMessageBox

from app.assist.dialog import PrelabelDialog
from app.canvas.suggestions import SuggestionItem
from app.session import NO_ANNOTATION
from studio.engine.checkpoint import DENOISER_HINT, save_checkpoint
from studio.export.onnx import export_onnx
from studio.inference.assist import AssistModel, Suggestion
from studio.models.config import ModelConfig
from studio.models.registry import build_detector
from tests.model_helpers import liven

SHIFT = Qt.KeyboardModifier.ShiftModifier
KPTS = np.array([[100.0, 100.0, 2.0], [180.0, 150.0, 2.0], [0.0, 0.0, 0.0]])


@pytest.fixture
def win(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path)
    yield window
    window.assist.stop()
    window.close()


@pytest.fixture(scope="module")
def pose_onnx(tmp_path_factory):
    """A randomly initialised (livened) pose detector with the demo's classes and K = 3, as ONNX."""
    torch.manual_seed(0)
    model = liven(build_detector(ModelConfig(nc=2, num_keypoints=3)))
    return export_onnx(model, tmp_path_factory.mktemp("assist") / "model.onnx", 64, names=["ship", "boat"],
                       class_ids=[1, 2], skeleton=[(1, 3), (3, 2)])


def _ship(session) -> int:
    return session.categories()[0].id


def _put(win, *scores: float) -> list[Suggestion]:
    """Suggestions (ship, best first) on the shown image; the first carries keypoints."""
    cat = _ship(win.session)
    found = [Suggestion(cat, (60.0 + 40 * i, 60.0 + 30 * i, 220.0 + 40 * i, 170.0 + 30 * i), s,
                        KPTS if i == 0 else None) for i, s in enumerate(scores)]
    win.canvas.suggestions.set(win.canvas.image_id, found)
    return found


def _suggestion_items(view) -> list[SuggestionItem]:
    return [i for i in view.scene().items() if isinstance(i, SuggestionItem)]


def test_suggestions_are_drawn_dashed_and_leave_clicks_to_real_boxes(qtbot, win):
    view = win.canvas
    boxes = len(view.box_items())
    _put(win, 0.87, 0.4)
    items = sorted(_suggestion_items(view), key=lambda i: i.index)
    assert [i.current for i in items] == [True, False] and len(view.box_items()) == boxes
    for item in items:
        assert item.pen().style() == Qt.PenStyle.DashLine and item.opacity() < 1
        assert item.acceptedMouseButtons() == Qt.MouseButton.NoButton
    assert items[0].label.text == "▸ ship 0.87" and items[1].label.text == "ship 0.40"
    assert len(items[0].childItems()) == 1 + 2  # its tag and the two labeled keypoints
    assert "2 suggestions: Enter accepts" in view._hint
    key(qtbot, win, Qt.Key.Key_Escape)  # Esc goes to the suggestions first: the highlighted one goes
    assert [(i.index, i.current) for i in _suggestion_items(view)] == [(0, True)]
    point = to_view(view, 250, 205)  # inside the remaining suggestion: the click is for real boxes
    click(qtbot, view, point)
    under = view.box_at(view.mapToScene(point))
    assert view.selected_id == (under.annotation_id if under is not None else NO_ANNOTATION)
    shown, other = view.image_id, win.session.project.page(0, 2)[1].id
    win.session.select_image(other)  # suggestions belong to their image
    qtbot.waitUntil(lambda: view.image_id == other)
    assert not _suggestion_items(view)
    win.session.select_image(shown)
    qtbot.waitUntil(lambda: len(_suggestion_items(view)) == 1)


def test_enter_accepts_with_keypoints_and_undo_removes_it_for_good(qtbot, win):
    view, session = win.canvas, win.session
    before = {a.id for a in session.annotations(view.image_id)}
    first, second = _put(win, 0.9, 0.5)
    key(qtbot, win, Qt.Key.Key_Return)
    (new,) = {a.id for a in session.annotations(view.image_id)} - before
    stored = next(a for a in session.annotations(view.image_id) if a.id == new)
    assert stored.box == first.box and stored.category_id == first.category_id
    assert np.array_equal(stored.keypoints, KPTS)
    assert view.selected_id == new and session.project.undo_text() == "Add box"
    assert view.suggestions.get(view.image_id) == [second]  # the next one is now highlighted
    assert [i.current for i in _suggestion_items(view)] == [True]
    key(qtbot, win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert {a.id for a in session.annotations(view.image_id)} == before
    assert view.suggestions.get(view.image_id) == [second]  # undo does not bring the suggestion back
    key(qtbot, win, Qt.Key.Key_Escape)  # rejects the last suggestion; nothing stored
    assert view.suggestions.count(view.image_id) == 0 and not _suggestion_items(view)
    assert {a.id for a in session.annotations(view.image_id)} == before
    view.select(min(before))
    key(qtbot, win, Qt.Key.Key_Escape)  # no suggestions left: Esc deselects as before
    assert view.selected_id == NO_ANNOTATION


def test_shift_enter_accepts_all_in_one_step_and_shift_esc_rejects_all(qtbot, win):
    view, session = win.canvas, win.session
    count = len(session.annotations(view.image_id))
    _put(win, 0.9, 0.8, 0.7)
    key(qtbot, win, Qt.Key.Key_Return, SHIFT)
    assert len(session.annotations(view.image_id)) == count + 3 and not _suggestion_items(view)
    assert session.project.undo_text() == "Add 3 boxes"
    key(qtbot, win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(session.annotations(view.image_id)) == count
    _put(win, 0.9, 0.8)
    key(qtbot, win, Qt.Key.Key_Escape, SHIFT)
    assert view.suggestions.count() == 0 and len(session.annotations(view.image_id)) == count


def _make_unlabeled(session, n: int) -> list[int]:
    """Empty the first ``n`` images of the demo and mark them in progress: unlabeled for pre-labeling."""
    rows = session.project.page(0, n)
    for row in rows:
        for ann in session.annotations(row.id):
            session.edit(lambda p, a=ann.id: p.delete_box(a), image_id=row.id)
        session.edit(lambda p, i=row.id: p.set_status(i, "in_progress"), image_id=row.id, images=True)
    return [r.id for r in rows]


def test_prelabel_unlabeled_runs_a_real_onnx_model_in_the_background(qtbot, win, pose_onnx, monkeypatch):
    view, session, assist = win.canvas, win.session, win.assist
    assist.device = "cpu"
    ids = _make_unlabeled(session, 3)
    seen: dict[str, object] = {}

    def accept_dialog(dialog: PrelabelDialog) -> int:
        seen["intro"] = dialog.intro.text()
        dialog.path_edit.setText(str(pose_onnx.parent))  # the folder: its model.onnx
        dialog.conf_spin.setValue(0.05)
        seen["status"] = dialog.status.text()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(PrelabelDialog, "exec", accept_dialog)
    with qtbot.waitSignal(assist.done, timeout=60_000) as finished:
        win.actions_by_name["prelabel_unlabeled"].trigger()
        assert assist.busy  # the model opens and predicts off the GUI thread
        assert assist.progress.isVisible() and assist.progress.label.text() == "Opening the model…"
    assert "3 unlabeled images" in seen["intro"] and str(pose_onnx) in seen["status"]
    images, found = finished.args
    assert images == 3 and found == sum(view.suggestions.count(i) for i in ids) > 0
    assert not assist.busy and not assist.progress.isVisible()
    assert "Pre-labeled 3 images" in assist.last_message
    assert view.hasFocus()  # the progress sat in the status bar: the canvas kept the keyboard
    with_keypoints = [s for i in ids for s in view.suggestions.get(i) if s.keypoints is not None]
    assert with_keypoints and all(s.keypoints.shape == (3, 3) for s in with_keypoints)
    target = next(i for i in ids if view.suggestions.count(i))
    session.select_image(target)
    qtbot.waitUntil(lambda: view.image_id == target)
    assert len(_suggestion_items(view)) == view.suggestions.count(target)
    key(qtbot, win, Qt.Key.Key_Return)
    (stored,) = session.annotations(target)
    assert stored.keypoints is not None and stored.keypoints.shape == (3, 3)


class _Blocking:
    """A fake predictor: one box per image, each call waits until the test lets it go."""

    def __init__(self) -> None:
        self.go, self.calls = threading.Event(), 0
        self.names, self.num_keypoints = ["ship", "buoy"], 0

    def __call__(self, images):
        self.calls += 1
        self.go.wait(30)
        return [np.array([[5, 5, 40, 40, 0.9, 0], [50, 50, 90, 90, 0.8, 1]], dtype=np.float32)
                for _ in images]


def test_cancel_stops_after_the_image_under_way(qtbot, win, monkeypatch, tmp_path):
    session, assist = win.session, win.assist
    fake = _Blocking()
    monkeypatch.setattr("studio.inference.assist.open_model",
                        lambda path, conf, device: AssistModel(path, fake, tuple(fake.names), 0))
    monkeypatch.setattr(assist, "ask_missing", lambda message, missing: "skip")
    rows = session.project.page(0, 5)
    weights = tmp_path / "fake.onnx"
    weights.write_bytes(b"x")
    with qtbot.waitSignal(assist.done, timeout=30_000) as finished:
        assist.prelabel([(r.id, r.path) for r in rows], weights, 0.25)
        qtbot.waitUntil(lambda: fake.calls == 1)
        assist.cancel()
        fake.go.set()
    assert finished.args[0] == 1 and "cancelled" in assist.last_message
    assert [c.name for c in session.categories()] == ["ship", "boat"]  # buoy skipped, not added
    assert [s.category_id for s in win.canvas.suggestions.get(rows[0].id)] == [_ship(session)]
    assert win.canvas.suggestions.count() == 1


def test_missing_classes_can_be_added(qtbot, win, monkeypatch, tmp_path):
    session, assist = win.session, win.assist
    fake = _Blocking()
    fake.go.set()
    monkeypatch.setattr("studio.inference.assist.open_model",
                        lambda path, conf, device: AssistModel(path, fake, tuple(fake.names), 0))
    asked: list[tuple] = []
    monkeypatch.setattr(assist, "ask_missing", lambda message, missing: asked.append((message, missing))
                        or "add")
    row = session.current_image()
    with qtbot.waitSignal(assist.done, timeout=30_000):
        assist.prelabel([(row.id, row.path)], tmp_path, 0.25)
    assert asked and asked[0][1] == ("buoy",) and "no class named buoy" in asked[0][0]
    buoy = next(c for c in session.categories() if c.name == "buoy")
    assert {s.category_id for s in win.canvas.suggestions.get(row.id)} == {_ship(session), buoy.id}


def test_a_denoiser_is_refused_with_a_clear_message(qtbot, win, tmp_path):
    assist = win.assist
    assist.device = "cpu"
    save_checkpoint(tmp_path / "best.pt", {"task": "denoise", "model": {}})
    row = win.session.current_image()
    assist.prelabel([(row.id, row.path)], tmp_path / "best.pt", 0.25)
    qtbot.waitUntil(lambda: not assist.busy, timeout=30_000)
    box = win.findChild(QMessageBox, "assist_error")
    assert box is not None and box.isVisible() and DENOISER_HINT in box.text()
    assert "pre-labeling needs a detect or pose model" in box.text()
    assert win.canvas.suggestions.count() == 0
    box.close()


def test_the_model_menu_lists_the_assist_actions(win):
    menus = {a.text(): a.menu() for a in win.menuBar().actions()}
    texts = [a.text() for a in menus["&Model"].actions()]
    assert texts[:2] == ["Pre-label &Current Image…", "Pre-label &Unlabeled Images…"]
    assert len(texts) == 6
    assert win.actions_by_name["accept_suggestion"].shortcut().toString() == "Return"


def test_the_dialog_says_which_weights_it_will_use(qtbot, tmp_path):
    run = tmp_path / "runs" / "pose" / "train"
    (run / "weights").mkdir(parents=True)
    dialog = PrelabelDialog(None, "the current image", run, 0.3)
    qtbot.addWidget(dialog)
    assert not dialog.ok.isEnabled() and "no weights/best.pt and no model.onnx" in dialog.status.text()
    (run / "weights" / "best.pt").write_bytes(b"x")
    dialog.path_edit.setText(str(run / "weights"))  # a folder without weights of its own
    assert not dialog.ok.isEnabled()
    dialog.path_edit.setText(str(run))
    assert dialog.ok.isEnabled() and dialog.weights() == run / "weights" / "best.pt"
    assert dialog.status.text() == f"Uses {run / 'weights' / 'best.pt'}" and dialog.conf() == 0.3
    dialog.path_edit.setText("")
    assert not dialog.ok.isEnabled() and "Pick a finished detect or pose run" in dialog.status.text()
