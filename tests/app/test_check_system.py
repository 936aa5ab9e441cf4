"""app.check_system: names the missing library, its apt package and the missing display."""

from __future__ import annotations

import ctypes

import pytest

from app import check_system
from app.check_system import XCB_LIBRARIES, library_present, main, report

DISPLAY = {"DISPLAY": ":0"}


def _all_but(*missing: str):
    return lambda soname: soname not in missing


def test_all_present_with_a_display_says_nothing():
    assert report(DISPLAY, _all_but(), platform="linux") == []


def test_a_missing_library_is_named_with_its_apt_package():
    lines = report(DISPLAY, _all_but("libxcb-cursor.so.0", "libEGL.so.1"), platform="linux")
    text = "\n".join(lines)
    assert "  libxcb-cursor.so.0" in lines and "  libEGL.so.1" in lines
    assert "  sudo apt-get install libxcb-cursor0 libegl1" in lines
    assert "libGL.so.1" not in text  # only what is missing


def test_no_display_is_reported():
    lines = report({}, _all_but(), platform="linux")
    assert len(lines) == 1 and "DISPLAY" in lines[0] and "xvfb-run" in lines[0]
    assert report({"WAYLAND_DISPLAY": "wayland-0"}, _all_but(), platform="linux") == []


@pytest.mark.parametrize("platform_env", [{"QT_QPA_PLATFORM": "offscreen"}, {"QT_QPA_PLATFORM": "minimal"}])
def test_platforms_without_x_skip_the_check(platform_env):
    assert report(platform_env, _all_but(*XCB_LIBRARIES), platform="linux") == []


def test_other_systems_skip_the_check():
    assert report({}, _all_but(*XCB_LIBRARIES), platform="darwin") == []


def test_every_library_has_a_debian_package():
    assert len(XCB_LIBRARIES) == 14
    assert all(pkg and " " not in pkg for pkg in XCB_LIBRARIES.values())


def test_the_finder_uses_the_dynamic_loader(monkeypatch):
    loaded = []

    def fake_cdll(name: str):
        loaded.append(name)
        if name == "libxcb-xkb.so.1":
            raise OSError(f"{name}: cannot open shared object file")
        return object()

    monkeypatch.setattr(ctypes, "CDLL", fake_cdll)
    assert library_present("libGL.so.1") is True
    assert library_present("libxcb-xkb.so.1") is False
    assert loaded == ["libGL.so.1", "libxcb-xkb.so.1"]


def test_main_prints_the_apt_line_and_exits_1(monkeypatch, capsys):
    monkeypatch.setattr(check_system.sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.setattr(check_system, "library_present", _all_but("libxcb-icccm.so.4"))
    assert main() == 1
    err = capsys.readouterr().err
    assert "libxcb-icccm.so.4" in err and "sudo apt-get install libxcb-icccm4" in err


def test_main_is_silent_when_all_is_there(monkeypatch, capsys):
    monkeypatch.setattr(check_system.sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.setattr(check_system, "library_present", _all_but())
    assert main() == 0
    assert capsys.readouterr() == ("", "")
