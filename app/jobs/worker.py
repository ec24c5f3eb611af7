"""The worker process: trains one job and reports to the server over a pipe.

The server sends commands as dicts ``{"op": ...}``: ``pause``, ``resume``, ``step`` (one step while
paused), ``stop``, ``set_trainer`` (``changes``), ``set_view`` (``changes``), ``viewers`` (``count``).
The worker sends tuples ``(kind, ...)``:

- ``("progress", metrics)``: at most every ``stream.progress_every`` seconds while training;
- ``("frame", key, data)``: an encoded binary visual frame (see app.frames), only while someone watches;
- ``("visual", key, message)``: a JSON visual (predictions, confusion matrix);
- ``("checkpoint", state)``: every ``checkpoint_seconds`` while training, and on pause and at the end;
- ``("trainer", settings)`` / ``("view", view)``: after a change, so every viewer can show it;
- ``("rejected", reply_to, message)``: a command the worker could not apply;
- ``("done", outcome)``: last message: ``{"status": completed|stopped|failed, "stop_reason", "error"}``.

Test-set evaluation runs no more often than every ten times its own duration, so it never takes more
than about a tenth of the training time, however big the test split.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from app.frames import read_header
from app.jobs.session import Diverged, TrainingSession
from app.spec import JobSpec
from app.visuals import VisualProducer, VisualView
from engine import SpecError
from engine.datasets import Dataset

PAUSED_POLL_SECONDS = 0.5
MAX_SLICE_SECONDS = 0.1


@dataclass(frozen=True)
class WorkerLimits:
    """The server's per-job limits and cadences a worker obeys."""

    max_steps: int
    max_seconds: float
    checkpoint_seconds: float


def view_from_spec(spec: JobSpec) -> VisualView:
    """The visualisation choices a job starts with."""
    stream = spec.stream
    return VisualView(
        grid=stream.grid,
        neuron_grid=stream.neuron_grid,
        hidden_layer=stream.hidden_layer,
        hidden_neurons=tuple(stream.hidden_neurons),
        sample=stream.sample,
        predictions=stream.predictions,
    )


def worker_main(
    spec_json: str,
    data: Dataset,
    checkpoint: dict[str, Any] | None,
    start_paused: bool,
    limits: WorkerLimits,
    conn: Connection,
    trainer: dict[str, Any],
) -> None:
    """Process entry point: build the session and run it until it ends or the server goes away."""
    try:
        spec = JobSpec.model_validate_json(spec_json)
        session = TrainingSession(spec, data, checkpoint, trainer)
        producer = VisualProducer(session.net, data, view_from_spec(spec))
        Worker(session, producer, limits, conn, paused=start_paused).run()
    except (EOFError, BrokenPipeError):
        return  # the server is gone; nobody is left to tell
    except Exception as error:  # report any failure as the job's own, never as a silent exit
        conn.send(
            ("done", {"status": "failed", "stop_reason": None, "error": f"{type(error).__name__}: {error}"})
        )
    finally:
        conn.close()


class Worker:
    """The loop of a worker process: obey commands, train in short slices, report on cadence."""

    def __init__(
        self,
        session: TrainingSession,
        producer: VisualProducer,
        limits: WorkerLimits,
        conn: Connection,
        *,
        paused: bool,
    ) -> None:
        self.session, self.producer, self.limits, self.conn = session, producer, limits, conn
        self.paused = paused
        self.stopping = False
        self.steps_requested = 0
        self.viewers = 0
        self.is_image = session.data.kind == "image"
        now = time.monotonic()
        self.next_progress = self.next_frame = self.next_eval = now
        self.next_checkpoint = now + limits.checkpoint_seconds
        self.frames_due = False

    def run(self) -> None:
        """Until the job ends: commands first, then a slice of training and whatever reports are due."""
        self._evaluate()
        while True:
            self._read_commands()
            if self.stopping:
                self._finish("stopped", None)
                return
            if self.paused and not self.steps_requested:
                if self.frames_due:  # a new viewer or view: show the paused net once
                    self._send_frames_if_due(force=True)
                continue
            try:
                self._train_slice()
            except Diverged as error:
                self._finish("failed", None, str(error))
                return
            reason = self.session.stop_reason(self.limits.max_steps, self.limits.max_seconds)
            if reason is not None:
                self._finish("completed", reason)
                return

    def _read_commands(self) -> None:
        idle = self.paused and not self.steps_requested and not self.frames_due
        if self.conn.poll(PAUSED_POLL_SECONDS if idle else 0):
            while True:
                self._apply(self.conn.recv())
                if not self.conn.poll(0):
                    break

    def _apply(self, command: dict[str, Any]) -> None:
        op = command["op"]
        if op in ("pause", "resume"):
            self.paused = op == "pause"
            if self.paused:
                self._send_progress()
                self._send_checkpoint()
        elif op == "step":
            self.steps_requested += 1
        elif op == "stop":
            self.stopping = True
        elif op == "checkpoint":
            self._send_checkpoint()
        elif op == "predict":
            self._answer_predict(command)
        elif op == "viewers":
            self.frames_due = self.frames_due or command["count"] > self.viewers
            self.viewers = command["count"]
        elif op in ("set_trainer", "set_view"):
            self._change(op, command)

    def _change(self, op: str, command: dict[str, Any]) -> None:
        try:
            if op == "set_trainer":
                self.conn.send(("trainer", self.session.set_trainer(command["changes"])))
            else:
                view = self.producer.set_view(**command["changes"])
                self.conn.send(("view", dataclasses.asdict(view)))
                self.frames_due = True
        except (SpecError, ValueError, TypeError) as error:
            self.conn.send(("rejected", command.get("reply_to"), str(error)))

    def _answer_predict(self, command: dict[str, Any]) -> None:
        try:
            answer = {"step": self.session.step, "outputs": self.session.net.forward(command["inputs"])}
        except (SpecError, ValueError) as error:
            answer = {"error": str(error)}
        self.conn.send(("answer", command["request"], answer))

    def _train_slice(self) -> None:
        if self.steps_requested:
            self.session.train_for(0.0, max_steps=1)
            self.steps_requested -= 1
            self._evaluate()
            self._send_progress()
            self.frames_due = True
        else:
            now = time.monotonic()
            slice_seconds = min(self.next_progress, self.next_frame if self.viewers else now + 1) - now
            budget = self.session.remaining_steps(self.limits.max_steps)
            self.session.train_for(min(max(slice_seconds, 0.001), MAX_SLICE_SECONDS), max_steps=budget)
        now = time.monotonic()
        if now >= self.next_eval:
            self._evaluate()
        if now >= self.next_progress:
            self._send_progress()
        self._send_frames_if_due(force=False)
        if now >= self.next_checkpoint:
            self._send_checkpoint()

    def _evaluate(self) -> None:
        took = self.session.evaluate()
        interval = max(self.session.spec.stream.progress_every, 10 * took)
        self.next_eval = time.monotonic() + interval
        if self.is_image and self.viewers and self.session.test_predictions is not None:
            data = self.session.data
            message = self.producer.confusion(self.session.step, self.session.test_predictions, data.y_test)
            self.conn.send(("visual", "confusion", message))

    def _send_progress(self) -> None:
        self.next_progress = time.monotonic() + self.session.spec.stream.progress_every
        self.conn.send(("progress", self.session.take_progress()))

    def _send_frames_if_due(self, *, force: bool) -> None:
        now = time.monotonic()
        if not self.viewers or not (force or self.frames_due or now >= self.next_frame):
            return
        self.frames_due = False
        stream = self.session.spec.stream
        self.next_frame = now + (stream.image_every if self.is_image else 1.0 / stream.fps)
        for frame in self.producer.frames(self.session.step):
            self.conn.send(("frame", frame_key(frame), frame))

    def _send_checkpoint(self) -> None:
        self.next_checkpoint = time.monotonic() + self.limits.checkpoint_seconds
        self.conn.send(("checkpoint", self.session.checkpoint()))

    def _finish(self, status: str, reason: str | None, error: str | None = None) -> None:
        if status == "failed":
            self._send_progress()  # the last good step and its losses: the job shows where it failed
        else:
            self._evaluate()
            self._send_progress()
            self._send_frames_if_due(force=True)
            self._send_checkpoint()
        self.conn.send(("done", {"status": status, "stop_reason": reason, "error": error}))


def frame_key(frame: bytes) -> str:
    """The kind of an encoded frame (its header's ``type``): a viewer keeps only the newest of each."""
    return read_header(frame)[0]["type"]
