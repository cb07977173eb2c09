#!/usr/bin/env python3
"""The forecast job (monolith.py) cut into dcp's four steps.

    job.py topology   stdout: the topology (JSON)
    job.py workload   stdout: one selection id per line, in the monolith's order
    job.py compute    stdin: one task message (JSON); stdout: its CSV rows
    job.py serve      compute.mode: persistent: the same rows for each request,
                      one process for many tasks (dcp_task, docs/protocol.md)
    job.py export     stdin: the run's results (JSON Lines);
                      writes $DCP_EXPORT_DIR/forecast-$DCP_RUN_ID.csv

All the logic is monolith.py's; this file only translates between dcp's
contract (stdin, stdout, DCP_* variables; serve: requests on descriptor 3,
responses on descriptor 4) and the monolith's functions. Expected failures
exit 1 with one line on stderr (serve: they fail the task, retryable); a
bad command line exits 2, and so does serve when not run by dcp-worker.
"""
from __future__ import annotations

import functools
import json
import os
import re
import sys
from pathlib import Path
from typing import Any, Callable, Mapping

import monolith
from monolith import JobError, Topology

Env = Mapping[str, str]
_SAFE_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")  # it names a file


def _require(env: Env, name: str) -> str:
    value = env.get(name, "")
    if not value:
        raise JobError(f"environment variable {name} is not set")
    return value


def _write_stdout(text: str) -> None:
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.buffer.flush()


def _load_topology(env: Env) -> Topology:
    return _read_topology(_require(env, "DCP_TOPOLOGY_FILE"))


def _read_topology(path: str) -> Topology:
    try:
        return json.loads(Path(path).read_bytes())
    except OSError as error:
        raise JobError(f"cannot read the topology {path}: {error.strerror}") from None
    except ValueError as error:  # bad JSON or bad UTF-8
        raise JobError(f"the topology {path} is not JSON: {error}") from None


def _string_field(record: Mapping[str, Any], key: str, where: str) -> str:
    value = record.get(key)
    if not isinstance(value, str):
        raise JobError(f"{where}: field {key!r} must be a string, got {value!r}")
    return value


def _decode_object(line: str, where: str) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except ValueError as error:
        raise JobError(f"{where}: not JSON: {error}") from None
    if not isinstance(record, dict):
        raise JobError(f"{where}: not a JSON object")
    return record


def step_topology(env: Env) -> int:
    _write_stdout(monolith.topology_json(monolith.build_topology()))
    return 0


def step_workload(env: Env) -> int:
    selections = monolith.list_selections(_load_topology(env))
    _write_stdout("".join(f"{selection}\n" for selection in selections))
    return 0


def _compute(topology: Topology, message: Mapping[str, Any]) -> str:
    """The CSV rows of one task message (extra fields are ignored)."""
    selection = _string_field(message, "selection", "task message")
    start = monolith.parse_minute(_string_field(message, "start_date", "task message"))
    end = monolith.parse_minute(_string_field(message, "end_date", "task message"))
    return monolith.compute(topology, selection, start, end)


def step_compute(env: Env) -> int:
    """One task. The message on stdin is the reference; extra fields are ignored."""
    body = sys.stdin.buffer.read().decode("utf-8").strip()
    if not body:
        raise JobError("no task message on stdin")
    message = _decode_object(body, "task message")
    _write_stdout(_compute(_load_topology(env), message))
    return 0


@functools.lru_cache(maxsize=4)  # one per run: runs may overlap, a process outlives runs
def _cached_topology(path: str) -> Topology:
    return _read_topology(path)


def _serve_task(task: Any) -> str:
    """compute's rows for a persistent request (a dcp_task.Task)."""
    if not task.topology_file:
        raise JobError("the request has no topology_file")
    return _compute(_cached_topology(task.topology_file), task.message)


def step_serve(env: Env) -> int:
    """compute for every request of dcp-worker (compute.mode: persistent)."""
    try:
        from dcp_task import serve  # dcp's helper: dcp-worker puts it on PYTHONPATH
    except ImportError:
        raise JobError("no module dcp_task: run by dcp-worker, or set "
                       "PYTHONPATH=<dcp>/sdk/python") from None
    serve(_serve_task)
    return 0


def _read_results(stream: bytes) -> tuple[list[str], list[str]]:
    """(results of the FINISHED tasks, one line per other task), in input order."""
    results, failures = [], []
    for number, line in enumerate(stream.decode("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"results line {number}"
        record = _decode_object(line, where)
        status = _string_field(record, "status", where)
        selection = _string_field(record, "selection", where)
        window = f"{record.get('start_date')} .. {record.get('end_date')}"
        if status == "FINISHED":
            results.append(_string_field(record, "result", where))
        else:
            error = str(record.get("error") or "").strip() or "(no error message)"
            failures.append(f"selection {selection}, {window}: {status}: {error}")
    return results, failures


def _write_atomically(path: Path, results: list[str]) -> None:
    """Replaces path as a whole: a reader sees the old file or the new one."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8", newline="") as out:
            monolith.export(results, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def step_export(env: Env) -> int:
    """Writes the CSV of the finished tasks; exits 1 if any task did not finish.

    Idempotent: the same input writes the same bytes, however many attempts.
    """
    run_id = _require(env, "DCP_RUN_ID")
    if not _SAFE_RUN_ID.fullmatch(run_id):
        raise JobError(f"DCP_RUN_ID {run_id!r} cannot name a file")
    export_dir = Path(_require(env, "DCP_EXPORT_DIR"))
    results, failures = _read_results(sys.stdin.buffer.read())
    path = export_dir / f"forecast-{run_id}.csv"
    try:
        _write_atomically(path, results)
    except OSError as error:
        raise JobError(f"cannot write {path}: {error.strerror}") from None
    total = len(results) + len(failures)
    print(f"forecast export: wrote {path} ({len(results)} of {total} tasks)", file=sys.stderr)
    if failures:
        for failure in failures:
            print(f"forecast export: missing from the CSV: {failure}", file=sys.stderr)
        print(f"forecast export: {len(failures)} of {total} tasks did not finish", file=sys.stderr)
        return 1
    return 0


STEPS: dict[str, Callable[[Env], int]] = {
    "topology": step_topology,
    "workload": step_workload,
    "compute": step_compute,
    "serve": step_serve,
    "export": step_export,
}


def main(argv: list[str], env: Env) -> int:
    if len(argv) != 2 or argv[1] not in STEPS:
        print(f"usage: job.py {{{'|'.join(STEPS)}}}", file=sys.stderr)
        return 2
    try:
        return STEPS[argv[1]](env)
    except JobError as error:
        print(f"forecast {argv[1]}: {error}", file=sys.stderr)
        return 1
    except UnicodeDecodeError as error:
        print(f"forecast {argv[1]}: stdin is not UTF-8: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv, os.environ))
