"""What the server and its pool workers say to each other.

Every message is a plain dict or tuple of JSON-able values and bytes, so the same workers can run on a
local process pool or on a cluster. No built data set is ever sent: a worker builds each set from its
spec, once, and every job on that worker shares that one read-only copy.

Server -> worker: dicts with an ``op``. Job commands name their ``job``; a worker holds at most one run
of a job, and commands for a job it does not hold are ignored.

- ``{"op": "dataset", "key", "spec", "files"}``: build the data set `spec` names (the job spec's
  ``dataset`` object) and keep it for the jobs whose ``dataset_key`` is `key`. ``files`` holds the
  uploaded files it reads as ``{name: bytes}`` for a worker on another machine (app.jobs.ray_worker);
  it is empty for a worker on the server's machine, which reads the server's uploads folder itself
  (app.jobs.local_worker). A job placed on a data set that could not be built fails with the reason.
  ``{"op": "forget_dataset", "key"}``: no job here needs it any more.
- ``{"op": "place", "job", "run", "spec", "dataset_key", "trainer", "checkpoint", "stop", "view",
  "kinds", "paused"}``: hold a job and train it (or keep it paused). ``run`` tags everything the worker
  says about it; ``checkpoint`` is where it goes on from (None: fresh weights); ``stop`` the
  `StopConditions` fields; ``view`` the viewers' view choices; ``kinds`` the frame kinds some viewer
  shows (None: all).
- ``{"op": "park", "job"}``: report a last progress and checkpoint (``parked``), then forget the job.
- ``{"op": "drop", "job"}``: forget the job at once, without a word (deleted, reset).
- ``{"op": "step", "job"}``: one training step of a paused job, then its progress and frames.
- ``{"op": "render", "job"}``: the frames the viewers show, now (a paused job).
- ``{"op": "set_trainer", "job", "changes", "reply_to"}``, ``{"op": "set_view", "job", "changes",
  "reply_to"}``: live changes; ``reply_to`` (a viewer id, or None) gets the error of a bad one.
- ``{"op": "set_weight", "job", "layer", "param", "index", "value", "request"}``: write one entry of
  a layer's ``w`` or ``b`` (the server checked the address against the net), then answer `request`.
- ``{"op": "watch", "job", "kinds"}``: the frame kinds some viewer shows now ([]: nobody watches).
- ``{"op": "predict", "job", "request", "inputs"}``: run the net on `inputs`, answer with `request`;
  ``{"op": "checkpoint", "job", "request"}``: answer with a checkpoint of the newest weights.

A checkpoint is always the JSON text of a `TrainingRun.checkpoint()`: encoded once, by the worker that
made it, then kept, stored and sent back as it is, and parsed only where the net is needed.

Worker -> server: tuples ``(kind, job, run, ...)``:

- ``("progress", job, run, progress, checkpoint)``: metrics (`TrainingRun.take_progress`) and the
  checkpoint of the same step, so a step the server shows is always one it can go back to;
- ``("frame", job, run, kind, data)``: an encoded binary frame (`app.frames`);
- ``("visual", job, run, kind, message)``: a JSON visual (``confusion``);
- ``("trainer", job, run, settings)``, ``("view", job, run, view)``: after a change;
- ``("weight", job, run, change)``: after ``set_weight``: ``{"layer", "param", "index", "value",
  "step"}`` (then a progress with only a checkpoint, which holds it);
- ``("rejected", job, run, reply_to, message)``: a change the worker could not apply;
- ``("answer", job, run, request, value)``: to ``predict``, ``checkpoint`` and ``set_weight``;
- ``("parked", job, run, progress, checkpoint)``: after ``park``; the worker holds nothing of it now;
- ``("done", job, run, outcome, progress, checkpoint)``: the job ended (``outcome``: ``{"status":
  completed|failed, "stop_reason", "error"}``) and was forgotten. After a failure there is no
  checkpoint: the progress shows the last good step, which a failed job never goes back to.
"""

from __future__ import annotations

from typing import Any

# Frame kinds sent at most this often even when the stream asks for more frames per second: the
# neuron thumbnails and the hidden-space mesh change slowly and cost more than the boundary. The
# weights go at the stream's fps: a page draws the boundary from them.
SECONDARY_FPS = 10.0
SECONDARY_KINDS = ("neurons", "hidden")

Command = dict[str, Any]
Message = tuple[Any, ...]
