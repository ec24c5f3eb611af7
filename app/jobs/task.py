"""One job on a pool worker: its training run, its visuals, and when each report is due.

A task trains only when the worker's scheduler gives it a slice (`run_slice`). Its reports follow their
own cadences, in wall time: a progress message (carrying the checkpoint of the same step) every
``stream.progress_every`` seconds, or less often when checkpoints of a big net cost more than
`CHECKPOINT_SHARE` of the time; each watched frame kind at its own rate (the boundary, the weights and
a painting's picture at the stream's fps, neuron thumbnails and the hidden-space mesh at most
`SECONDARY_FPS`, image and autoencoder visuals every ``stream.image_every`` seconds); frames of a kind
nobody shows are never computed. The first report of a fresh placement goes out right after its first
step.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
from collections.abc import Callable
from typing import Any

from app.jobs.protocol import SECONDARY_FPS, SECONDARY_KINDS, Command, Message
from app.jobs.runs import start_run
from app.spec import JobSpec, StreamSpec
from app.visuals.producer import VisualProducer, view_from_stream
from engine import SpecError
from engine.datasets import Dataset
from engine.training import Diverged, StopConditions

CHECKPOINT_SHARE = 0.05
# How much of its worker a job gets beside the others (app.jobs.pool_worker): a watched job in its first
# FRESH_SECONDS after it was placed (started, resumed) gets FRESH_SHARE times a watched job's share, so a
# student who just pressed Play sees it learn; a job nobody watches gets UNWATCHED_SHARE, so long runs
# nobody looks at yield to those someone waits for.
FRESH_SECONDS = 10.0
FRESH_SHARE = 4.0
UNWATCHED_SHARE = 0.25
Send = Callable[[Message], None]


# The visuals of image and autoencoder jobs: paced by ``stream.image_every``, the rest by ``stream.fps``.
IMAGE_EVERY_KINDS = frozenset({"activations", "filters", "samples", "codes", "reconstructions"})


def frame_intervals(stream: StreamSpec, kinds: tuple[str, ...]) -> dict[str, float]:
    """Seconds between two frames of each kind (``confusion`` included for image and autoencoder jobs;
    it is sent only by classifiers)."""
    if IMAGE_EVERY_KINDS.intersection(kinds):
        return dict.fromkeys((*kinds, "confusion"), stream.image_every)
    secondary = 1.0 / min(stream.fps, SECONDARY_FPS)
    return {kind: secondary if kind in SECONDARY_KINDS else 1.0 / stream.fps for kind in kinds}


class JobTask:
    """A job held by a pool worker, built from a ``place`` command (see app.jobs.protocol)."""

    def __init__(self, command: Command, data: Dataset, send: Send) -> None:
        self.job, self.run_id, self._send = command["job"], command["run"], send
        spec = JobSpec.model_validate(command["spec"])
        self.stream = spec.stream
        self.stop = StopConditions(**command["stop"])
        saved = command["checkpoint"]
        self.run = start_run(spec, data, json.loads(saved) if saved is not None else None, command["trainer"])
        self.producer = VisualProducer(self.run.net, data, view_from_stream(spec.stream))
        if command["view"]:
            # A view chosen for the net before a reset may not fit the new one: the spec's view stays.
            with contextlib.suppress(SpecError, ValueError, TypeError):
                self.producer.set_view(**command["view"])
        self.kinds: set[str] | None = None if command["kinds"] is None else set(command["kinds"])
        self.paused = bool(command["paused"])
        self.steps_requested = 0
        self.park_requested = False
        self.finished = False
        self.vtime = 0.0  # the scheduler's measure of the worker time this task has had, over its share
        self.intervals = frame_intervals(self.stream, self.producer.kinds)
        now = time.monotonic()
        self.placed_at = now
        self.next_progress = now
        self.next_frame = dict.fromkeys(self.intervals, now)

    @property
    def share(self) -> float:
        """The task's weight in its worker's fair share (see FRESH_SHARE above)."""
        if not (self.kinds is None or self.kinds):
            return UNWATCHED_SHARE
        return FRESH_SHARE if time.monotonic() - self.placed_at < FRESH_SECONDS else 1.0

    @property
    def runnable(self) -> bool:
        """Whether the task wants worker time now."""
        return not self.finished and (not self.paused or self.steps_requested > 0)

    # ---- training -------------------------------------------------------------------------------

    def run_slice(self, seconds: float) -> None:
        """Train for about `seconds` (one step when a paused job was asked to step), then send the
        reports that are due; ends the job when a stop condition is met or it diverges, and parks it
        when asked to once its steps are taken."""
        try:
            if self.steps_requested:
                self.steps_requested -= 1
                self.run.train_for(0.0, max_steps=1)
                self.run.evaluate()
                reason = self.run.stop_reason(self.stop)
            else:
                now = time.monotonic()
                due = min(self.next_progress, *self._watched_frame_times(), now + seconds)
                reason = self.run.advance(max(0.0, min(seconds, due - now)), self.stop)
        except Diverged as error:  # the progress of the last good step shows where it failed
            self._end({"status": "failed", "stop_reason": None, "error": str(error)}, checkpoint=None)
            return
        if reason is not None:
            self.run.evaluate(full=True)
            self._send_frames(force=True)
            self._end({"status": "completed", "stop_reason": reason, "error": None}, self._checkpoint())
        else:
            self._report(force=self.paused)
            if self.park_requested and not self.steps_requested:
                self.park()

    def _checkpoint(self) -> str:
        """The run's checkpoint as the JSON text the server keeps (app.jobs.protocol)."""
        return json.dumps(self.run.checkpoint())

    def _end(self, outcome: dict[str, Any], checkpoint: str | None) -> None:
        self.finished = True
        self._send(("done", self.job, self.run_id, outcome, self.run.take_progress(), checkpoint))

    # ---- reports --------------------------------------------------------------------------------

    def _watched_frame_times(self) -> list[float]:
        return [due for kind, due in self.next_frame.items() if self._watched(kind)]

    def _watched(self, kind: str) -> bool:
        return self.kinds is None or kind in self.kinds

    def _report(self, *, force: bool) -> None:
        if force or time.monotonic() >= self.next_progress:
            self._send_progress()
        self._send_frames(force=force)

    def _send_progress(self) -> None:
        started = time.perf_counter()
        checkpoint = self._checkpoint()
        cost = time.perf_counter() - started
        self.next_progress = time.monotonic() + max(self.stream.progress_every, cost / CHECKPOINT_SHARE)
        self._send(("progress", self.job, self.run_id, self.run.take_progress(), checkpoint))

    def _send_frames(self, *, force: bool) -> None:
        now = time.monotonic()
        for kind, interval in self.intervals.items():
            if not self._watched(kind) or not (force or now >= self.next_frame[kind]):
                continue
            self.next_frame[kind] = now + interval
            if kind == "confusion":
                self._send_confusion()
            elif (frame := self.producer.frame(kind, self.run.step)) is not None:
                self._send(("frame", self.job, self.run_id, kind, frame))

    def _send_confusion(self) -> None:
        predictions = self.run.held_out.predictions
        if predictions is None:
            return
        message = self.producer.confusion(self.run.step, predictions, self.run.data.y_test)
        self._send(("visual", self.job, self.run_id, "confusion", message))

    # ---- commands -------------------------------------------------------------------------------

    def request_park(self) -> None:
        """Park now, or after the steps asked for before (a paused job's visit: steps, then park)."""
        self.park_requested = True
        if not self.steps_requested:
            self.park()

    def park(self) -> None:
        """Report where the job stands (a progress only if it trained since the last one) with its
        checkpoint; the worker then forgets it."""
        self.finished = True
        progress = self.run.take_progress() if self.run.steps_since_report else None
        self._send(("parked", self.job, self.run_id, progress, self._checkpoint()))

    def apply(self, command: Command) -> None:
        """A job command other than place, park and drop (see app.jobs.protocol)."""
        op = command["op"]
        if op == "step":
            self.steps_requested += 1
        elif op == "render":
            self._send_frames(force=True)
        elif op == "watch":
            self._watch(command["kinds"])
        elif op == "predict":
            self._predict(command)
        elif op == "checkpoint":
            self._send(("answer", self.job, self.run_id, command["request"], self._checkpoint()))
        elif op in ("set_trainer", "set_view"):
            self._change(op, command)
        elif op == "set_weight":
            self._set_weight(command)

    def _watch(self, kinds: list[str] | None) -> None:
        added = set(self.intervals) if kinds is None else set(kinds)
        if self.kinds is not None:
            added -= self.kinds
        self.kinds = None if kinds is None else set(kinds)
        for kind in added & set(self.next_frame):
            self.next_frame[kind] = 0.0  # a new viewer of this kind sees it at once
        if self.paused and added:
            self._send_frames(force=False)

    def _change(self, op: str, command: Command) -> None:
        try:
            if op == "set_trainer":
                self._send(("trainer", self.job, self.run_id, self.run.set_trainer(command["changes"])))
                return
            view = self.producer.set_view(**command["changes"])
        except (SpecError, ValueError, TypeError) as error:
            self._send(("rejected", self.job, self.run_id, command.get("reply_to"), str(error)))
            return
        self._send(("view", self.job, self.run_id, dataclasses.asdict(view)))
        for kind in self.next_frame:
            self.next_frame[kind] = 0.0
        if self.paused:
            self._send_frames(force=False)

    def _set_weight(self, command: Command) -> None:
        """Write one weight into the net (the server checked the address), tell the viewers, save it
        with a checkpoint, and redraw every frame at once."""
        layer, param, index = command["layer"], command["param"], tuple(command["index"])
        values = self.run.net.layers[layer].params[param]
        values[index] = command["value"]
        change = {"layer": layer, "param": param, "index": list(index), "value": float(values[index])}
        self._send(("weight", self.job, self.run_id, {**change, "step": self.run.step}))
        self._send(("progress", self.job, self.run_id, None, self._checkpoint()))
        self._send(("answer", self.job, self.run_id, command["request"], change))
        for kind in self.next_frame:
            self.next_frame[kind] = 0.0
        if self.paused:
            self._send_frames(force=False)

    def _predict(self, command: Command) -> None:
        try:
            answer = {"step": self.run.step, "outputs": self.run.net.forward(command["inputs"])}
        except (SpecError, ValueError) as error:
            answer = {"error": str(error)}
        self._send(("answer", self.job, self.run_id, command["request"], answer))
