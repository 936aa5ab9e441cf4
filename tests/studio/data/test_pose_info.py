"""pose_info: K, flip_idx, skeleton, keypoint names and OKS sigmas of a dataset, from what it says or
what its keypoint names imply; and TrainingData.pose."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.annotations import Category, Dataset
from studio.data.pose_info import PoseInfo, derive_flip_idx, pose_info, pose_notes
from studio.engine.data_source import load_training_data
from studio.errors import DatasetFormatError
from studio.io.dataset import load_dataset
from studio.pose_shapes import FLIP_IDX, KEYPOINT_NAMES, SKELETON, make_stick_figures
from studio.shapes import make_shapes
from studio.skeletons import COCO17


def _dataset(k: int, names: tuple[str, ...] = (), edges: tuple[tuple[int, int], ...] = (),
             flip_idx: tuple[int, ...] | None = None, **extra) -> Dataset:
    """A pose Dataset without samples; ``extra`` holds what a data.yaml's other keys would."""
    person = Category(1, "person", keypoints=names, skeleton=edges)
    return Dataset([person], [], kpt_shape=(k, 3), flip_idx=flip_idx, extra=extra, root=Path("/data/people"))


def test_a_detection_dataset_has_no_pose_info():
    assert pose_info(Dataset([Category(1, "cat")], [])) is None


def test_flip_idx_comes_from_the_left_right_names():
    info = pose_info(_dataset(3, ("nose", "left_eye", "right_eye")))
    assert info == PoseInfo(3, (0, 2, 1), (), ("nose", "left_eye", "right_eye"), None)
    assert pose_notes(_dataset(3, ("nose", "left_eye", "right_eye")), info) == []


@pytest.mark.parametrize("names", [("nose", "l_eye", "r_eye", "LeftHand", "RightHand"),
                                   ("nose", "eye_L", "eye_R", "lefthand", "righthand"),
                                   ("nose", "Left Eye", "Right Eye", "left-hand", "right-hand")])
def test_flip_idx_from_names_spelled_otherwise(names):
    assert derive_flip_idx(names) == (0, 2, 1, 4, 3)
    assert pose_info(_dataset(5, names)).flip_idx == (0, 2, 1, 4, 3)


def test_a_given_flip_idx_wins_and_without_sides_flips_keep_the_order():
    given = _dataset(3, ("nose", "left_eye", "right_eye"), flip_idx=(0, 1, 2))
    assert pose_info(given).flip_idx == (0, 1, 2) and pose_notes(given, pose_info(given)) == []
    bare = _dataset(3, ("bow", "stern", "bridge"))
    info = pose_info(bare)
    assert info.flip_idx == (0, 1, 2)
    assert "flip keeps the keypoint order" in pose_notes(bare, info)[0]
    assert pose_info(_dataset(4)).flip_idx == (0, 1, 2, 3) and pose_info(_dataset(4)).keypoint_names == ()


def test_coco17_edges_for_17_unnamed_or_coco_named_keypoints_only():
    assert pose_info(_dataset(17)).skeleton == COCO17.edges
    named = pose_info(_dataset(17, COCO17.names))
    assert named.skeleton == COCO17.edges and named.flip_idx == COCO17.flip_idx
    other = tuple(f"point_{i}" for i in range(17))
    assert pose_info(_dataset(17, other)).skeleton == ()
    assert pose_info(_dataset(3)).skeleton == ()


def test_category_skeleton_pairs_outside_k_are_left_out():
    info = pose_info(_dataset(3, edges=((1, 2), (2, 3), (3, 5), (2, 1), (3, 3))))
    assert info.skeleton == ((1, 2), (2, 3))


def test_data_yaml_skeleton_sigmas_and_names_are_honoured_and_checked():
    info = pose_info(_dataset(3, kpt_sigmas=[0.05, 0.1, 0.025], skeleton=[[1, 2], [2, 3]],
                              kpt_names={0: ["nose", "left_eye", "right_eye"]}))
    assert info.skeleton == ((1, 2), (2, 3)) and info.sigmas == (0.05, 0.1, 0.025)
    assert info.keypoint_names == ("nose", "left_eye", "right_eye") and info.flip_idx == (0, 2, 1)
    with pytest.raises(DatasetFormatError, match=r"kpt_sigmas.*3 positive numbers") as err:
        pose_info(_dataset(3, kpt_sigmas=[0.05, 0.1]))
    assert err.value.path == Path("/data/people")
    for bad in ([0.05, -0.1, 0.02], [0.05, "x", 0.02], 0.05, [0.05, True, 0.02]):
        with pytest.raises(DatasetFormatError, match="kpt_sigmas"):
            pose_info(_dataset(3, kpt_sigmas=bad))
    with pytest.raises(DatasetFormatError, match=r"skeleton.*outside 1\.\.3"):
        pose_info(_dataset(3, skeleton=[[1, 4]]))
    with pytest.raises(DatasetFormatError, match="skeleton"):
        pose_info(_dataset(3, skeleton=[[1, 2, 3]]))
    with pytest.raises(DatasetFormatError, match="flip_idx"):
        pose_info(_dataset(3, flip_idx=(0, 0, 1)))


def test_pose_info_of_a_data_yaml(tmp_path):
    (tmp_path / "images" / "train").mkdir(parents=True)
    (tmp_path / "data.yaml").write_text(
        "train: images/train\nval: images/train\nnames: {0: person}\nkpt_shape: [3, 3]\n"
        "kpt_names: {0: [nose, l_eye, r_eye]}\nskeleton: [[1, 2], [1, 3]]\n"
        "kpt_sigmas: [0.026, 0.025, 0.025]\n")
    dataset, _ = load_dataset(tmp_path / "data.yaml")
    assert pose_info(dataset) == PoseInfo(3, (0, 2, 1), ((1, 2), (1, 3)), ("nose", "l_eye", "r_eye"),
                                          (0.026, 0.025, 0.025))


def test_training_data_carries_the_pose_info(tmp_path):
    data = load_training_data(str(make_stick_figures(tmp_path / "sticks", num_images=3, size=96)))
    assert data.pose == PoseInfo(7, FLIP_IDX, SKELETON, KEYPOINT_NAMES, None)
    assert data.train[0].keypoints is not None and data.train[0].keypoints.shape[1:] == (7, 3)
    assert load_training_data(str(make_shapes(tmp_path / "shapes", num_images=3, size=96))).pose is None


@pytest.mark.data
def test_pose_info_of_the_real_coco_keypoints(shared_data):
    path = shared_data / "pose" / "coco" / "test_coco.json"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    dataset, _ = load_dataset(path)
    info = pose_info(dataset)
    assert info is not None and info.num_keypoints == 17
    assert info.flip_idx == COCO17.flip_idx and info.skeleton == COCO17.edges
    assert info.keypoint_names == COCO17.names and info.sigmas is None
    left_wrist = COCO17.names.index("left_wrist")
    assert COCO17.names[info.flip_idx[left_wrist]] == "right_wrist"


@pytest.mark.data
def test_pose_info_of_crowdpose_keeps_the_limbs_it_can_draw(shared_data):
    path = shared_data / "pose" / "crowdpose" / "test_crowdpose.json"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    dataset, _ = load_dataset(path)
    info = pose_info(dataset)
    assert info.num_keypoints == 14 and info.keypoint_names[12:] == ("head", "neck")
    names = info.keypoint_names
    for k in range(12):  # left_shoulder .. right_ankle, in left/right pairs
        mirrored = names[k].replace("left", "?").replace("right", "left").replace("?", "right")
        assert names[info.flip_idx[k]] == mirrored
    assert info.flip_idx[12:] == (12, 13)
    # the file ships COCO's skeleton, whose pairs past 14 cannot be drawn
    assert all(1 <= a <= 14 and 1 <= b <= 14 for a, b in info.skeleton) and len(info.skeleton) == 9
