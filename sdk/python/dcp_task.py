"""dcp_task: a Python program as a dcp persistent worker (protocol 1).

A job with ``compute.mode: persistent`` starts its program once per worker
thread and keeps it between tasks. Three lines wrap an existing function:

    from dcp_task import serve
    def compute(task): return my_existing_function(task.selection, task.start_date, task.end_date)
    serve(compute)

``serve`` says ``{"ready": true, "protocol": 1}`` on descriptor 4 (what the
program imported before counts as its start-up), then reads one request per
line on descriptor 3 and calls ``compute(task)`` with a read-only ``Task``
(below). The ``str`` it returns (or UTF-8 ``bytes``) is the task's result. An exception fails the task as retryable, with its text
and the end of its traceback; ``raise PermanentError("...")`` fails it at
once, no more attempts; so does returning anything else. stdout and stderr
stay the program's (print freely: line buffered); serve never writes on
stdout. It returns when the worker closes descriptor 3 (docs/protocol.md).
Stdlib only, Python 3.9+. ``python3 -m dcp_task`` prints this text.
"""
import json
import os
import re
import stat
import sys
import traceback
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Optional, Union

PROTOCOL, REQUESTS_FD, RESPONSES_FD = 1, 3, 4
ONE_LINE, TRACEBACK_TAIL = 500, 2000  # characters of an error: its text, its traceback's end
_TOPOLOGIES = 4  # topology files kept in memory (one per run; runs may overlap)
_topologies: "OrderedDict[str, bytes]" = OrderedDict()
_TASK_ID = re.compile(rb'"task_id"\s*:\s*"([^"\\]{1,100})"')


class PermanentError(Exception):
    """Fails the task at once (retryable false): retrying cannot help."""


@dataclass(frozen=True)
class Task:
    """One request: the task message's fields and the request's."""
    run_id: str
    task_id: str
    selection: str
    start_date: str  # local wall-clock minute "YYYY-MM-DD HH:MM", in tz
    end_date: str  # inclusive
    params: dict
    attempt: int
    topology_file: Optional[str]
    tz: str
    job: str
    message: dict = field(repr=False)  # the task message as it came
    request: dict = field(repr=False)  # the whole request as it came

    def topology(self) -> bytes:
        """The run's topology file, read once per path by this process."""
        path = self.topology_file
        if not path:
            raise RuntimeError("the request has no topology_file")
        data = _topologies.get(path)
        if data is None:
            with open(path, "rb") as f:
                data = f.read()
            _topologies[path] = data
            while len(_topologies) > _TOPOLOGIES:
                _topologies.popitem(last=False)
        else:
            _topologies.move_to_end(path)
        return data


def _task(request: dict) -> Task:
    message = request["task"]
    params = message.get("params")
    return Task(
        run_id=message.get("run_id"), task_id=message["task_id"],
        selection=message.get("selection"), start_date=message.get("start_date"),
        end_date=message.get("end_date"), params=params if isinstance(params, dict) else {},
        attempt=request.get("attempt", 1), topology_file=request.get("topology_file"),
        tz=request.get("tz", "UTC"), job=request.get("job", ""),
        message=message, request=request)


def _write(response: dict) -> None:
    try:
        data = (json.dumps(response, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    except UnicodeEncodeError:  # a lone surrogate: not text the worker can store
        data = (json.dumps({"task_id": response.get("task_id"), "retryable": False,
                            "error": "the result is not valid Unicode text"}) + "\n").encode()
    view = memoryview(data)
    while view:
        view = view[os.write(RESPONSES_FD, view):]


def _describe(error: BaseException) -> str:
    """The exception on one line, then the end of its traceback."""
    text = " ".join(f"{type(error).__name__}: {error}".split())
    text = text if len(text) <= ONE_LINE else text[:ONE_LINE] + "..."
    frames = error.__traceback__
    if frames is not None and frames.tb_frame.f_code is _answer.__code__:
        frames = frames.tb_next  # from the user's compute on, not serve's own frame
    trace = "".join(traceback.format_exception(type(error), error, frames))
    if len(trace) > TRACEBACK_TAIL:
        trace = "..." + trace[-TRACEBACK_TAIL:]
    return f"{text}\n{trace.rstrip()}"


def _answer(compute: Callable[[Task], Union[str, bytes]], task: Task) -> dict:
    try:
        result = compute(task)
    except PermanentError as error:
        return {"task_id": task.task_id, "error": str(error) or "PermanentError", "retryable": False}
    except Exception as error:  # noqa: BLE001 - every failure of the task is its error
        return {"task_id": task.task_id, "error": _describe(error), "retryable": True}
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001 - a closed or replaced stream
                pass
    if isinstance(result, (bytes, bytearray)):
        try:
            result = bytes(result).decode("utf-8")
        except UnicodeDecodeError as error:
            return {"task_id": task.task_id, "retryable": False,
                    "error": f"compute returned bytes that are not UTF-8: {error}"}
    if not isinstance(result, str):
        return {"task_id": task.task_id, "retryable": False,
                "error": f"compute returned {type(result).__name__}, not str (the result)"}
    return {"task_id": task.task_id, "result": result}


def _descriptors_open() -> bool:
    """Descriptors 3 and 4 are the worker's pipes (or sockets), not closed or files."""
    try:
        return all(stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)
                   for mode in (os.fstat(fd).st_mode for fd in (REQUESTS_FD, RESPONSES_FD)))
    except OSError:
        return False


def serve(compute: Callable[[Task], Union[str, bytes]]) -> None:
    """Answers the worker's requests with compute(task) until descriptor 3 ends."""
    if not _descriptors_open():
        sys.stderr.write(f"{sys.argv[0] or 'dcp_task'}: descriptors 3 and 4 are not open: this "
                         "program is to be run by dcp-worker, in compute.mode: persistent "
                         "(docs/protocol.md)\n")
        sys.exit(2)
    for fd in (REQUESTS_FD, RESPONSES_FD):
        os.set_inheritable(fd, False)  # not for the programs it starts
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)
    requests = os.fdopen(REQUESTS_FD, "rb", closefd=False)
    try:
        _write({"ready": True, "protocol": PROTOCOL})
        for line in requests:
            if not line.strip():
                continue
            try:
                request = json.loads(line)
                if not isinstance(request, dict) or not isinstance(request.get("task"), dict) \
                        or not isinstance(request["task"].get("task_id"), str):
                    raise ValueError("no task object with a task_id")
                if request.get("protocol", PROTOCOL) != PROTOCOL:
                    raise ValueError(f"protocol {request['protocol']!r}, not {PROTOCOL}")
            except ValueError as error:
                found = _TASK_ID.search(line)
                if not found:
                    sys.exit(f"dcp_task: a request that is not one ({error}): {line[:120]!r}")
                _write({"task_id": found.group(1).decode("utf-8", "replace"),
                        "error": f"dcp_task: a request that is not one: {error}"})
                continue
            _write(_answer(compute, _task(request)))
    except BrokenPipeError:
        sys.exit("dcp_task: the worker closed descriptor 4")


def main() -> int:
    """python3 -m dcp_task: this module's text; it serves nothing."""
    sys.stdout.write(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main())
