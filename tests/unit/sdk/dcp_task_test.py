#!/usr/bin/env python3
"""Unit tests of sdk/python/dcp_task.py, the worker's part played here.

A real child process runs a program that calls dcp_task.serve(), with pipes
on its descriptors 3 (requests) and 4 (responses) as dcp-worker sets them,
and its stdout and stderr on pipes of their own. Every wait is a select()
with a deadline, never a sleep.

    /usr/bin/python3 tests/unit/sdk/dcp_task_test.py [-v]
"""
import fcntl
import json
import os
import select
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

SDK = Path(__file__).resolve().parents[3] / "sdk" / "python"
TIMEOUT = 10.0  # seconds: a line, an exit (generous for a loaded CI machine)

# The program under test: what it does depends on the task's selection.
PROGRAM = r'''
import json, os, sys
open(os.environ["IMPORTED_MARK"], "w").close()  # module-level work: before "ready"
import dcp_task

def deep(n, message="deep down\nsecond line"):
    if n == 0:
        raise ValueError(message)
    return other(n - 1, message)  # not the same line each frame: traceback would fold them

def other(n, message):
    return deep(n, message)

def compute(task):
    s = task.selection
    if s == "boom":
        return deep(3)
    if s == "deep":
        return deep(300)
    if s == "long":
        return deep(1, "long " * 10000)
    if s == "hold":  # prints, then waits (a FIFO the test holds open) while the worker reads stdout
        with open(task.params["fifo"]) as fifo:  # opened first: the test's close ends the read
            print("working on it")
            fifo.read()
        return "held"
    if s == "permanent":
        raise dcp_task.PermanentError("no such store")
    if s == "print":
        print("noise on stdout")
        sys.stdout.write("no newline")
        return "printed\n"
    if s == "topology":
        return task.topology().decode()
    if s == "bytes":
        return "é,1\n".encode()
    if s == "none":
        return None
    if s == "surrogate":
        return "bad \udcff"
    if s == "big":
        return "x" * (1 << 20) + '"\\\n'
    if s == "frozen":
        try:
            task.selection = "changed"
        except AttributeError:
            return "read-only"
        return "writable"
    return json.dumps({
        "pid": os.getpid(), "run_id": task.run_id, "task_id": task.task_id,
        "selection": s, "start_date": task.start_date, "end_date": task.end_date,
        "params": task.params, "attempt": task.attempt, "topology_file": task.topology_file,
        "tz": task.tz, "job": task.job, "message": task.message, "request": task.request,
        "inherited": [fd for fd in (3, 4) if os.get_inheritable(fd)],
    })

dcp_task.serve(compute)
'''


class Reader:
    """Lines of a pipe, each within a deadline (select)."""

    def __init__(self, fd):
        self.fd, self.buffer, self.eof = fd, b"", False

    def available(self, timeout):
        """What the pipe has within timeout (at least one read, if any)."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if ready:
            chunk = os.read(self.fd, 1 << 16)
            self.eof = self.eof or not chunk
            self.buffer += chunk
        data, self.buffer = self.buffer, b""
        return data

    def line(self, timeout=TIMEOUT):
        """The next line (without its newline), or None at EOF; fails on a timeout."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            if self.eof:
                return None
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.fd], [], [], max(left, 0))
            if not ready:
                raise AssertionError(f"no line within {timeout} s (so far: {self.buffer[:200]!r})")
            chunk = os.read(self.fd, 1 << 16)
            self.eof = not chunk
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line


def _on_3_and_4(requests, responses):
    """preexec_fn: the pipe ends onto descriptors 3 and 4 (inheritable)."""
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (requests, responses)]
    os.dup2(high[0], 3)
    os.dup2(high[1], 4)


class Worker:
    """Plays dcp-worker: starts the program with its descriptors 3 and 4."""

    def __init__(self, test, program=PROGRAM, fds=True):
        self.dir = Path(tempfile.mkdtemp(prefix="dcp_task_test."))
        test.addCleanup(self.close)
        self.mark = self.dir / "imported"
        script = self.dir / "program.py"
        script.write_text(program)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(SDK),
               "PYTHONDONTWRITEBYTECODE": "1", "DCP_PROTOCOL": "1",
               "IMPORTED_MARK": str(self.mark)}
        request_r, self.requests = os.pipe()  # non-inheritable: the child keeps 3 and 4 only
        self.responses_fd, response_w = os.pipe()
        self.proc = subprocess.Popen(
            [sys.executable, str(script)], cwd=self.dir, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            close_fds=not fds,  # by hand: nothing of ours (a make jobserver's 3 and 4...)
            preexec_fn=(lambda: _on_3_and_4(request_r, response_w)) if fds else None)
        os.close(request_r)
        os.close(response_w)
        self.responses = Reader(self.responses_fd)
        self.stdout = Reader(self.proc.stdout.fileno())

    def send(self, line):
        data = line if isinstance(line, bytes) else line.encode()
        view = memoryview(data)
        while view:  # the program reads while it answers nothing: it fits, or it blocks us
            view = view[os.write(self.requests, view):]

    def ask(self, selection, task_id="6f1c2a4e-0000-4000-8000-000000000001", **extra):
        task = {"run_id": "0b7d9a3c-0000-4000-8000-00000000000a", "task_id": task_id,
                "selection": selection, "start_date": "2024-01-01 00:00",
                "end_date": "2024-01-31 23:59"}
        task.update(extra.pop("task_extra", {}))
        request = {"protocol": 1, "task": task, "attempt": 2,
                   "topology_file": str(self.dir / "topology"), "tz": "Europe/Paris",
                   "job": "forecast"}
        request.update(extra)
        self.send(json.dumps(request) + "\n")
        return self.response()

    def response(self):
        line = self.responses.line()
        if line is None:
            raise AssertionError(f"descriptor 4 ended; stderr: {self.stderr_now()!r}")
        return json.loads(line)

    def ready(self):
        return self.response()

    def stderr_now(self):
        return Reader(self.proc.stderr.fileno()).available(0.5).decode(errors="replace")

    def end(self):
        """Closes descriptor 3; the exit status, within TIMEOUT."""
        if self.requests >= 0:
            os.close(self.requests)
            self.requests = -1
        return self.proc.wait(TIMEOUT)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for fd in (self.requests, self.responses_fd):
            if fd >= 0:
                os.close(fd)
        self.requests = self.responses_fd = -1
        self.proc.stdout.close()
        self.proc.stderr.close()
        for path in sorted(self.dir.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        self.dir.rmdir()


class ServeTest(unittest.TestCase):
    def test_ready_first_after_the_module_level_code(self):
        w = Worker(self)
        self.assertEqual(w.ready(), {"ready": True, "protocol": 1})
        self.assertTrue(w.mark.exists(), "ready before the program's own module-level code ran")

    def test_a_result_and_every_field_of_the_task(self):
        w = Worker(self)
        w.ready()
        response = w.ask("3", task_extra={"params": {"store": 3}})
        self.assertEqual(set(response), {"task_id", "result"})
        self.assertEqual(response["task_id"], "6f1c2a4e-0000-4000-8000-000000000001")
        seen = json.loads(response["result"])
        self.assertEqual(seen["selection"], "3")
        self.assertEqual(seen["run_id"], "0b7d9a3c-0000-4000-8000-00000000000a")
        self.assertEqual((seen["start_date"], seen["end_date"]), ("2024-01-01 00:00", "2024-01-31 23:59"))
        self.assertEqual(seen["params"], {"store": 3})
        self.assertEqual((seen["attempt"], seen["tz"], seen["job"]), (2, "Europe/Paris", "forecast"))
        self.assertEqual(seen["topology_file"], str(w.dir / "topology"))
        self.assertEqual(seen["message"]["task_id"], response["task_id"])
        self.assertEqual(seen["request"]["protocol"], 1)
        self.assertEqual(seen["inherited"], [], "descriptors 3 and 4 would leak into its children")
        self.assertEqual(json.loads(w.ask("4")["result"])["params"], {}, "params without any")

    def test_one_process_answers_each_request_in_turn(self):
        w = Worker(self)
        w.ready()
        pids = set()
        for n in range(5):
            task_id = f"6f1c2a4e-0000-4000-8000-00000000010{n}"
            response = w.ask(str(n), task_id=task_id)
            self.assertEqual(response["task_id"], task_id)
            pids.add(json.loads(response["result"])["pid"])
        self.assertEqual(pids, {w.proc.pid})

    def test_an_exception_is_a_retryable_error_with_the_traceback_tail(self):
        w = Worker(self)
        w.ready()
        response = w.ask("boom")
        self.assertIs(response["retryable"], True)
        first, _, trace = response["error"].partition("\n")
        self.assertEqual(first, "ValueError: deep down second line")
        self.assertIn("Traceback (most recent call last)", trace)
        self.assertIn("in deep", trace)
        self.assertNotIn("in _answer", trace, "dcp_task's own frame is noise")
        long = w.ask("deep")["error"]
        self.assertIn("in other", long)
        self.assertLess(len(long), 2200, "the traceback is not bounded")
        self.assertTrue(long.startswith("ValueError: deep down"), long[:100])
        self.assertTrue(long.rstrip().endswith("second line"), "the tail is not the traceback's end")
        message = w.ask("long")["error"]
        self.assertLess(len(message), 3000, "a long message is not bounded")
        self.assertTrue(message.startswith("ValueError: long long"), message[:100])
        self.assertIn("ok", json.loads(w.ask("ok")["result"])["selection"], "alive after errors")

    def test_permanent_error_is_not_retryable(self):
        w = Worker(self)
        w.ready()
        self.assertEqual(w.ask("permanent"), {"task_id": "6f1c2a4e-0000-4000-8000-000000000001",
                                              "error": "no such store", "retryable": False})

    def test_bytes_are_decoded_and_other_returns_fail_at_once(self):
        w = Worker(self)
        w.ready()
        self.assertEqual(w.ask("bytes")["result"], "é,1\n")
        none = w.ask("none")
        self.assertIs(none["retryable"], False)
        self.assertIn("NoneType", none["error"])
        self.assertNotIn("result", none)
        surrogate = w.ask("surrogate")
        self.assertIs(surrogate["retryable"], False)
        self.assertIn("not valid Unicode", surrogate["error"])
        self.assertEqual(w.ask("bytes")["result"], "é,1\n", "alive after them")

    def test_the_task_is_read_only(self):
        w = Worker(self)
        w.ready()
        self.assertEqual(w.ask("frozen")["result"], "read-only")

    def test_prints_go_to_stdout_promptly_never_to_descriptor_4(self):
        w = Worker(self)
        w.ready()
        self.assertEqual(w.ask("print"), {"task_id": "6f1c2a4e-0000-4000-8000-000000000001",
                                          "result": "printed\n"})
        out = b""
        deadline = time.monotonic() + TIMEOUT
        while b"no newline" not in out and time.monotonic() < deadline:
            out += w.stdout.available(deadline - time.monotonic())
        self.assertEqual(out, b"noise on stdout\nno newline", "stdout held back while the process lives")
        self.assertIn("selection", w.ask("next")["result"])  # the next line on 4 is the next answer

    def test_a_print_reaches_stdout_while_the_task_runs(self):
        w = Worker(self)
        w.ready()
        fifo = w.dir / "fifo"
        os.mkfifo(fifo)
        writer = os.open(fifo, os.O_RDWR)  # never blocks; the task's read ends when it closes
        task = {"params": {"fifo": str(fifo)}}
        w.send(json.dumps({"protocol": 1, "task": {"task_id": "t-hold", "selection": "hold", **task}}) + "\n")
        try:
            self.assertEqual(w.stdout.line(), b"working on it", "the print is held in a buffer")
        finally:  # the task ends either way
            os.close(writer)
        self.assertEqual(w.response(), {"task_id": "t-hold", "result": "held"})

    def test_a_big_result_is_written_whole(self):
        w = Worker(self)
        w.ready()
        self.assertEqual(w.ask("big")["result"], "x" * (1 << 20) + '"\\\n')

    def test_unknown_fields_are_ignored(self):
        w = Worker(self)
        w.ready()
        response = w.ask("7", future={"a": [1, 2]}, task_extra={"v": 2, "priority": "high"})
        self.assertEqual(json.loads(response["result"])["selection"], "7")

    def test_the_topology_is_read_once_per_path(self):
        w = Worker(self)
        w.ready()
        (w.dir / "topology").write_text("first")
        self.assertEqual(w.ask("topology")["result"], "first")
        (w.dir / "topology").write_text("changed")
        self.assertEqual(w.ask("topology")["result"], "first", "read again for the same path")
        (w.dir / "other").write_text("other run")
        self.assertEqual(w.ask("topology", topology_file=str(w.dir / "other"))["result"], "other run")
        (w.dir / "topology").unlink()
        self.assertEqual(w.ask("topology")["result"], "first")
        missing = w.ask("topology", topology_file=str(w.dir / "missing"))
        self.assertIs(missing["retryable"], True)
        self.assertIn("FileNotFoundError", missing["error"])

    def test_a_bad_request_with_a_task_id_gets_an_error(self):
        w = Worker(self)
        w.ready()
        w.send('{"protocol": 1, "task": {"task_id": "6f1c2a4e-0000-4000-8000-00000000abcd", broken\n')
        response = w.response()
        self.assertEqual(response["task_id"], "6f1c2a4e-0000-4000-8000-00000000abcd")
        self.assertIn("not one", response["error"])
        w.send('{"protocol": 1, "task_id": "6f1c2a4e-0000-4000-8000-00000000abce"}\n')
        self.assertIn("no task", w.response()["error"])
        self.assertIn("selection", w.ask("after")["result"])

    def test_a_bad_request_without_a_task_id_ends_it_with_a_message(self):
        w = Worker(self)
        w.ready()
        w.send("this is not json\n")
        self.assertIsNone(w.responses.line(), "descriptor 4 should end")
        self.assertNotEqual(w.proc.wait(TIMEOUT), 0)
        self.assertIn("dcp_task: a request that is not one", w.proc.stderr.read().decode())

    def test_eof_on_descriptor_3_exits_0(self):
        w = Worker(self)
        w.ready()
        w.ask("1")
        self.assertEqual(w.end(), 0)
        self.assertIsNone(w.responses.line(), "wrote after EOF")
        self.assertEqual(w.proc.stdout.read(), b"", "serve wrote on stdout")

    def test_run_by_hand_without_descriptors_3_and_4_exits_2(self):
        w = Worker(self, fds=False)
        self.assertEqual(w.proc.wait(TIMEOUT), 2)
        err = w.proc.stderr.read().decode()
        self.assertIn("descriptors 3 and 4 are not open", err)
        self.assertIn("compute.mode: persistent", err)
        self.assertEqual(w.proc.stdout.read(), b"")


if __name__ == "__main__":
    unittest.main()
