"""The GUI's side of jobs: starting ``tern`` worker processes and stopping them (launcher.py).

Reading what a run says (events.jsonl) is headless and lives in ``studio.jobs.run_monitor``.
"""
