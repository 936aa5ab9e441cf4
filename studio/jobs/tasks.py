"""The task registry: ``tern train <task>`` -> the object that knows its model, data and metrics."""

from __future__ import annotations

from studio.engine.detect_task import DetectTask

TASKS = {
    "detect": DetectTask,
}
