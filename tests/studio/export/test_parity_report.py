"""The parity verdict: outputs within tolerance and detections paired (all, or all but NMS near-ties)."""

from __future__ import annotations

from studio.export.parity import BatchParity, ParityReport


def _report(torch_n: int, onnx_n: int, paired: int, raw: float = 1e-6) -> ParityReport:
    return ParityReport((BatchParity(1, raw, 1e-5, torch_n, onnx_n, paired),), 1e-3, 100.0)


def test_all_paired_is_same_and_ok():
    report = _report(20, 20, 20)
    assert report.ok and report.rows[0].same_detections and "detections same" in report.format()


def test_a_near_tie_swap_is_ok_but_said():
    report = _report(20, 21, 19)
    assert report.ok and not report.rows[0].same_detections
    assert "19 paired, the rest near-ties" in report.format()


def test_many_unpaired_or_large_differences_are_a_mismatch():
    assert not _report(20, 20, 10).ok and "DIFFER" in _report(20, 20, 10).format()
    assert not _report(20, 20, 20, raw=0.5).ok


def test_an_untrained_models_low_score_ties_pass_when_the_shown_detections_are_the_same():
    row = BatchParity(1, 1e-6, 1e-5, 300, 300, 120, shown=(4, 4, 4))  # near-random scores: ties at 0.001
    report = ParityReport((row,), 1e-3, 100.0)
    assert report.ok and "the 4 scoring >= 0.25 are the same" in report.format()
    differ = ParityReport((BatchParity(1, 1e-6, 1e-5, 300, 300, 120, shown=(4, 4, 3)),), 1e-3, 100.0)
    assert not differ.ok and "DIFFER" in differ.format()
