"""Reading a COCO json file and telling a dataset apart from the JSON files that only look like one.

``read_json`` raises DatasetNotFoundError only when the file cannot be read at all; a syntax error is
an InvalidJson problem with the 1-based line of the error. ``describe_non_dataset`` says what a parsed
file is when it is not a COCO dataset (a results list, an MPII list, ...), or None when it is one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from studio.errors import DatasetNotFoundError
from studio.io.problems import InvalidJson, Problem

_PROBE = 20  # list elements / annotations looked at when guessing what a file is
_RESULT_KEYS = ("image_id", "category_id", "score")
_MPII_KEYS = ("joints", "joints_vis", "center", "scale")
_EXPECTED = "; a COCO dataset is a JSON object with images, annotations and categories lists"


def read_json(path: Path) -> tuple[Any, list[Problem]]:
    """The parsed JSON of ``path`` (None with an InvalidJson problem when it does not parse).

    Raises DatasetNotFoundError when the file is missing, a folder, or not readable.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise DatasetNotFoundError(path, "no such file; check the path of the COCO json") from exc
    except IsADirectoryError as exc:
        raise DatasetNotFoundError(path, "is a folder, not a COCO json file") from exc
    except PermissionError as exc:
        raise DatasetNotFoundError(path, "permission denied; make the file readable") from exc
    except OSError as exc:
        raise DatasetNotFoundError(path, f"cannot read the file ({exc.strerror or exc})") from exc
    try:
        return json.loads(raw), []  # bytes: UTF-8 (with or without BOM), UTF-16 and UTF-32 are detected
    except json.JSONDecodeError as exc:
        return None, [InvalidJson(path, exc.lineno, f"{exc.msg} at line {exc.lineno} column {exc.colno}")]
    except UnicodeDecodeError as exc:
        return None, [InvalidJson(path, None, f"not UTF-8 text: byte {exc.start} cannot be decoded")]
    except RecursionError:
        return None, [InvalidJson(path, None, "nested too deeply to be a COCO file")]


def json_type(value: Any) -> str:
    """'a JSON object', 'a JSON list', 'a JSON string', ... for messages."""
    if isinstance(value, dict):
        return "a JSON object"
    if isinstance(value, list):
        return "a JSON list"
    if isinstance(value, str):
        return "a JSON string"
    if isinstance(value, bool):
        return "a JSON boolean"
    if isinstance(value, (int, float)):
        return "a JSON number"
    return "JSON null"


def describe_non_dataset(data: Any) -> str | None:
    """What ``data`` is when it is not a COCO dataset (for a NotADataset problem), else None.

    A dataset is an object with ``images`` and ``annotations`` lists whose annotations are not
    MPII-TRB records (center / scale and no bbox).
    """
    if isinstance(data, list):
        return _describe_list(data)
    if not isinstance(data, dict):
        return f"it is {json_type(data)}{_EXPECTED}"
    if "shapes" in data and "imagePath" in data:
        return ("it is a LabelMe annotation file (shapes, imagePath), which Tern cannot read; "
                "convert it to COCO")
    for key in ("images", "annotations"):
        if key not in data:
            return _missing_key(data, key)
        if not isinstance(data[key], list):
            return f"its '{key}' is {json_type(data[key])}, not a list of {key[:-1]} objects"
    anns = [a for a in data["annotations"][:_PROBE] if isinstance(a, dict)]
    if anns and all("center" in a and "scale" in a and "bbox" not in a for a in anns):
        return ("it is an MPII-TRB keypoint file (annotations with center and scale but no bbox), "
                "which Tern cannot read; convert it to COCO keypoints with boxes")
    return None


def _describe_list(data: list) -> str:
    """Results lists (detections, keypoints, segmentations), MPII lists, or a plain list."""
    items = [item for item in data[:_PROBE] if isinstance(item, dict)]
    if not data:
        return f"it is an empty JSON list{_EXPECTED}"
    if items and all(all(k in item for k in _RESULT_KEYS) for item in items):
        if all("keypoints" in item for item in items):
            return ("it is a keypoint-results list (image_id, category_id, keypoints, score); "
                    "open it as predictions")
        if all("bbox" in item for item in items):
            return ("it is a detection-results list (image_id, category_id, bbox, score); "
                    "open it as predictions")
        return "it is a results list (image_id, category_id, score); open it as predictions"
    if items and all(sum(k in item for k in _MPII_KEYS) >= 2 for item in items):
        return ("it is an MPII-format keypoint list (joints, joints_vis, center, scale), which Tern "
                "cannot read; convert it to COCO keypoints")
    return f"it is a JSON list of {len(data)} elements{_EXPECTED}"


def _missing_key(data: dict, key: str) -> str:
    shown = ", ".join(str(k) for k in list(data)[:8]) or "none"
    more = ", ..." if len(data) > 8 else ""
    if key == "annotations" and isinstance(data.get("images"), list):
        return (f"it has no 'annotations' (top-level keys: {shown}{more}); an image list without labels, "
                "like COCO's image_info_test2017.json, is not a dataset")
    return f"it has no '{key}' list (top-level keys: {shown}{more}){_EXPECTED}"
