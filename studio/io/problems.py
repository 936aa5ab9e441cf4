"""Problems found while reading or checking a dataset: one typed class per kind.

A reader never raises on bad rows: it skips them and records a Problem, so one bad line never hides
the rest of the dataset. ``tern data check`` prints them all; errors exit 1, warnings keep exit 0.
Every message names what is wrong and what to do; ``str(problem)`` prefixes ``file:line``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar


@dataclass(frozen=True)
class Problem:
    """Base: ``path`` of the file at fault and its 1-based ``line`` (None for the whole file)."""

    path: Path
    line: int | None
    severity: ClassVar[str] = "error"

    @property
    def message(self) -> str:  # overridden by every kind
        raise NotImplementedError

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    @property
    def kind(self) -> str:
        return type(self).__name__

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else f"{self.path}"
        return f"{where}: {self.severity}: {self.message}"


# ---------------------------------------------------------------- YOLO label rows
@dataclass(frozen=True)
class WrongColumnCount(Problem):
    found: int
    expected: str  # e.g. "5" or "5 + 17*3 = 56"

    @property
    def message(self) -> str:
        return (f"row has {self.found} columns, expected {self.expected} "
                "(class cx cy w h [keypoints]); fix or delete the row")


@dataclass(frozen=True)
class NotANumber(Problem):
    text: str

    @property
    def message(self) -> str:
        return f"'{self.text}' is not a number; every column after the class index must be a number"


@dataclass(frozen=True)
class ClassIndexOutOfRange(Problem):
    index: str
    num_classes: int

    @property
    def message(self) -> str:
        return (f"class index {self.index} is not one of 0..{self.num_classes - 1} "
                f"(data.yaml names {self.num_classes} classes); fix the index or add the class")


@dataclass(frozen=True)
class CoordinateOutOfRange(Problem):
    what: str  # "box" or "keypoint 3"
    values: tuple[float, ...]
    limits: str  # "[0, 1]" or "the 640x480 image"

    @property
    def message(self) -> str:
        vals = ", ".join(f"{v:g}" for v in self.values)
        return f"{self.what} ({vals}) lies outside {self.limits}; clip it to the image or fix the row"


@dataclass(frozen=True)
class NonPositiveSize(Problem):
    width: float
    height: float
    entry: str = ""  # COCO: "annotation id 17 (index 16)"; YOLO rows are named by their line

    @property
    def message(self) -> str:
        what = f"{self.entry}: box" if self.entry else "box"
        return (f"{what} has zero or negative size (w={self.width:g}, h={self.height:g}); "
                "delete it or give it a real extent")


@dataclass(frozen=True)
class KeypointShapeMismatch(Problem):
    found: int
    kpt_shape: tuple[int, int]

    @property
    def message(self) -> str:
        k, d = self.kpt_shape
        return (f"row has {self.found} keypoint values but kpt_shape is [{k}, {d}] "
                f"({k * d} values); fix the row or kpt_shape in data.yaml")


@dataclass(frozen=True)
class InvalidVisibility(Problem):
    value: float
    keypoint: int

    @property
    def message(self) -> str:
        return (f"keypoint {self.keypoint} has visibility {self.value:g}; "
                "use 0 (not labeled), 1 (occluded) or 2 (visible)")


@dataclass(frozen=True)
class DuplicateBox(Problem):
    other_line: int | None
    severity: ClassVar[str] = "warning"

    @property
    def message(self) -> str:
        other = f" on line {self.other_line}" if self.other_line else ""
        return f"box duplicates the box{other}; delete one of them"


# ---------------------------------------------------------------- files and images
@dataclass(frozen=True)
class MissingImage(Problem):
    """A label file (or COCO image entry) whose image does not exist."""

    expected: Path | None = None

    @property
    def message(self) -> str:
        where = f" (looked for {self.expected})" if self.expected else ""
        return f"no image for these labels{where}; add the image or delete the label file"


@dataclass(frozen=True)
class MissingLabelFile(Problem):
    """An image without a label file: trained on as a background image."""

    severity: ClassVar[str] = "warning"

    @property
    def message(self) -> str:
        return "image has no label file; it is used as a background image (no objects)"


@dataclass(frozen=True)
class UnreadableImage(Problem):
    reason: str

    @property
    def message(self) -> str:
        return f"image cannot be read ({self.reason}); replace or remove the file"


@dataclass(frozen=True)
class ImageSizeMismatch(Problem):
    declared: tuple[int, int]
    actual: tuple[int, int]

    @property
    def message(self) -> str:
        return (f"declared size {self.declared[0]}x{self.declared[1]} differs from the image's "
                f"{self.actual[0]}x{self.actual[1]}; fix width/height in the json")


@dataclass(frozen=True)
class PathEscapesDataset(Problem):
    file_name: str

    @property
    def message(self) -> str:
        return (f"file_name '{self.file_name}' points outside the dataset folder; "
                "use a path relative to the images folder")


@dataclass(frozen=True)
class UnreadableLabelFile(Problem):
    reason: str

    @property
    def message(self) -> str:
        return f"label file cannot be read ({self.reason}); fix its permissions or remove it"


# ---------------------------------------------------------------- data.yaml
@dataclass(frozen=True)
class BadDataYaml(Problem):
    reason: str

    @property
    def message(self) -> str:
        return self.reason


@dataclass(frozen=True)
class FlipIdxNotPermutation(Problem):
    flip_idx: tuple[int, ...]
    num_keypoints: int

    @property
    def message(self) -> str:
        return (f"flip_idx {list(self.flip_idx)} is not a permutation of 0..{self.num_keypoints - 1}; "
                "list every keypoint index exactly once (its left/right mirror)")


@dataclass(frozen=True)
class SplitsOverlap(Problem):
    """The same images are listed under two splits; they are kept in the first one only."""

    first: str
    second: str
    count: int
    severity: ClassVar[str] = "warning"

    @property
    def message(self) -> str:
        return (f"{self.count} images listed under {self.second} are also listed under {self.first}; "
                f"they are kept in {self.first} only (give {self.second} its own images for honest metrics)")


# ---------------------------------------------------------------- COCO json
@dataclass(frozen=True)
class NotADataset(Problem):
    what: str  # what the file looks like instead

    @property
    def message(self) -> str:
        return f"this is not a COCO dataset: {self.what}"


@dataclass(frozen=True)
class InvalidJson(Problem):
    reason: str

    @property
    def message(self) -> str:
        return f"not valid JSON ({self.reason}); the file may be truncated"


@dataclass(frozen=True)
class MissingField(Problem):
    entry: str  # e.g. "annotation 12"
    field_name: str

    @property
    def message(self) -> str:
        return f"{self.entry} has no '{self.field_name}'; add it or remove the entry"


@dataclass(frozen=True)
class InvalidCocoId(Problem):
    entry: str  # "image", "annotation", "category"
    value: object

    @property
    def message(self) -> str:
        return f"{self.entry} id {self.value!r} is invalid; COCO ids are positive integers (never 0)"


@dataclass(frozen=True)
class DuplicateCocoId(Problem):
    entry: str
    value: int

    @property
    def message(self) -> str:
        return f"{self.entry} id {self.value} is used more than once; give each {self.entry} its own id"


@dataclass(frozen=True)
class UnknownReference(Problem):
    entry: str  # "annotation 7"
    field_name: str  # "image_id" / "category_id"
    value: object

    @property
    def message(self) -> str:
        return f"{self.entry} refers to {self.field_name} {self.value!r}, which does not exist"


@dataclass(frozen=True)
class NumKeypointsMismatch(Problem):
    """A warning: the object is kept and ``save_coco`` writes the recomputed count (CrowdPose, for
    one, counts only visible keypoints)."""

    entry: str
    declared: int
    counted: int
    severity: ClassVar[str] = "warning"

    @property
    def message(self) -> str:
        return (f"{self.entry} says num_keypoints={self.declared} but {self.counted} keypoints have "
                "visibility > 0; fix num_keypoints (a COCO export writes the counted value)")


@dataclass(frozen=True)
class KeypointCountMismatch(Problem):
    entry: str
    found: int
    expected: int

    @property
    def message(self) -> str:
        return (f"{self.entry} has {self.found} keypoint values, expected {self.expected} "
                "(3 per keypoint named by its category)")


@dataclass(frozen=True)
class CategoriesDiffer(Problem):
    other: Path

    @property
    def message(self) -> str:
        return (f"its categories differ from those of {self.other.name}; "
                "give every split of a dataset the same categories")


@dataclass(frozen=True)
class InvalidField(Problem):
    """A COCO field of the wrong type or value (a string where a number belongs, a bbox of 3 numbers)."""

    entry: str  # "annotation id 17 (index 16)"
    field_name: str
    expected: str  # "[x, y, width, height] of finite numbers"
    value: str  # a short repr of what was found

    @property
    def message(self) -> str:
        return f"{self.entry} has '{self.field_name}' = {self.value}, expected {self.expected}; fix it"


@dataclass(frozen=True)
class InvalidEntry(Problem):
    """An element of ``images`` / ``annotations`` / ``categories`` that is not a JSON object."""

    entry: str  # "annotations[16]"
    found: str  # "a JSON string"

    @property
    def message(self) -> str:
        return f"{self.entry} is {self.found}, not an object with fields; fix or remove it"


@dataclass(frozen=True)
class UnnamedKeypoints(Problem):
    """Every object of a category has the same number of keypoints, but the category names fewer (or
    more): the objects' count is used and the extra keypoints have no names."""

    entry: str  # "category id 1 'person'"
    named: int
    found: int
    severity: ClassVar[str] = "warning"

    @property
    def message(self) -> str:
        return (f"{self.entry} names {self.named} keypoints but each of its objects has {self.found}; "
                f"reading {self.found} keypoints (name them all in the category's 'keypoints' list)")


@dataclass(frozen=True)
class SkeletonOutOfRange(Problem):
    """A skeleton pair names a keypoint the category does not have (CrowdPose ships one like this)."""

    entry: str
    pair: tuple[int, int]
    num_keypoints: int
    severity: ClassVar[str] = "warning"

    @property
    def message(self) -> str:
        return (f"{self.entry} skeleton pair {list(self.pair)} refers to a keypoint outside "
                f"1..{self.num_keypoints}; that limb cannot be drawn (fix the pair or name the "
                "missing keypoints)")


def has_errors(problems: list[Problem]) -> bool:
    return any(p.is_error for p in problems)
