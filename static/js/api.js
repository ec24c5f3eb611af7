// REST calls and the live job stream, with errors made visible and automatic reconnects.

import { decodeFrame } from "./frames.js";
import { clientId, forgetOwner, ownedBy, rememberOwner, tokenFor } from "./owners.js";

/** An error answer from the server: `status`, a readable `message`, and `fields` for a 422. */
export class ApiError extends Error {
  constructor(status, message, fields = []) {
    super(message);
    this.status = status;
    this.fields = fields; // [{loc: "layers.1.filters", msg: "..."}]
  }
}

function describe(detail) {
  if (Array.isArray(detail)) {
    return detail.map((item) => ({ loc: item.loc.filter((part) => part !== "body").join("."), msg: item.msg }));
  }
  return [];
}

/** The headers a request to `path` carries: the browser's client id, and for a change of a job or an
 * upload the token that may change it (its owner's or the teacher's), when this browser has one. */
export function authHeaders(method, path) {
  const headers = { "x-netplay-client": clientId() };
  const owned = method === "GET" ? null : ownedBy(path);
  const token = owned && tokenFor(owned.kind, owned.id);
  if (token) headers.authorization = `Bearer ${token}`;
  return headers;
}

/** Keep the owner token a creation answered with; forget a deleted job's or upload's. */
function noteOwnership(method, path, status, payload) {
  if (payload?.owner_token && path.startsWith("/api/jobs")) rememberOwner("jobs", payload.id, payload.owner_token);
  if (payload?.owner_token && path.startsWith("/api/datasets")) rememberOwner("uploads", payload.file, payload.owner_token);
  const owned = ownedBy(path);
  if (method === "DELETE" && owned && (status === 204 || status === 404)) forgetOwner(owned.kind, owned.id);
}

/** Call the REST API with a JSON body (or FormData for an upload); resolves to the JSON body (null
 * for 204), rejects with ApiError. `headers` add to (or replace) the usual ones. */
export async function request(method, path, body, headers = {}) {
  const options = { method, headers: { ...authHeaders(method, path), ...headers } };
  if (body instanceof FormData) {
    options.body = body; // multipart: fetch sets the content type with its boundary
  } else if (body !== undefined) {
    options.headers["content-type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch (error) {
    throw new ApiError(0, `cannot reach the server (${error.message})`);
  }
  const text = response.status === 204 ? "" : await response.text();
  let payload = null;
  try {
    payload = text ? JSON.parse(text) : null;
  } catch {
    payload = { detail: text };
  }
  noteOwnership(method, path, response.status, payload);
  if (!response.ok) {
    const fields = describe(payload && payload.detail);
    const message = fields.length
      ? fields.map((field) => `${field.loc}: ${field.msg}`).join("\n")
      : (payload && payload.detail) || `HTTP ${response.status}`;
    throw new ApiError(response.status, message, fields);
  }
  return payload;
}

export const api = {
  get: (path) => request("GET", path),
  post: (path, body) => request("POST", path, body),
  patch: (path, body) => request("PATCH", path, body),
  del: (path) => request("DELETE", path),
};

/**
 * The live stream of one job. Calls `handlers.onSnapshot(snapshot)`, `handlers.onMessage(message)` for
 * JSON messages and `handlers.onFrame(frame)` for decoded binary frames; `handlers.onConnection(state)`
 * with "open", "lost" or "closed". Reconnects after a lost connection (backoff up to 5 s) and starts
 * again from the new snapshot. Binary frames are decoded when they arrive; drawing is the caller's
 * business (on requestAnimationFrame, keeping only the newest frame of each kind).
 *
 * `kinds` names the frame kinds the page shows (null: all). The server computes only the kinds some
 * viewer shows, so a page asks for what is on screen and changes it with `setKinds`; every connection
 * (a reconnection too) asks again with the kinds of that moment.
 *
 * Each connection gives the server this browser's token for the job (a socket cannot carry headers)
 * and `handlers.onAccess(mayChange)` hears the answer: whether control messages will be obeyed.
 */
export class JobStream {
  /**
   * @param {string} jobId
   * @param {object} handlers
   * @param {string[]|null} kinds the frame kinds the page shows ("boundary", "activations"...), null for all
   */
  constructor(jobId, handlers, kinds = null) {
    this.jobId = jobId;
    this.handlers = handlers;
    this.kinds = kinds;
    this.askedKinds = null; // the kinds the server has from this socket (its URL or a watch message)
    this.closed = false;
    this.mayChange = null; // the server's answer to this connection's token (null: not known yet)
    this.retryDelay = 250;
    this.socket = null;
    this.connect();
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const query = this.kinds ? `?kinds=${this.kinds.map(encodeURIComponent).join(",")}` : "";
    const socket = new WebSocket(`${scheme}://${location.host}/api/jobs/${this.jobId}/stream${query}`);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    this.askedKinds = kindsKey(this.kinds);
    let first = true;
    socket.onopen = () => {
      this.retryDelay = 250;
      socket.send(JSON.stringify({ type: "auth", token: tokenFor("jobs", this.jobId) }));
      // kinds changed while this socket was connecting: its URL has the old ones
      if (this.askedKinds !== kindsKey(this.kinds)) this.setKinds(this.kinds);
      this.handlers.onConnection?.("open");
    };
    socket.onmessage = (event) => {
      if (typeof event.data !== "string") {
        this.handlers.onFrame?.(decodeFrame(event.data));
        return;
      }
      const message = JSON.parse(event.data);
      if (message.type === "auth") {
        this.mayChange = message.may_change;
        this.handlers.onAccess?.(message.may_change);
      } else if (first && message.type === "snapshot") {
        first = false;
        this.handlers.onSnapshot?.(message);
      } else {
        this.handlers.onMessage?.(message);
      }
    };
    socket.onclose = (event) => {
      if (this.closed || event.code === 4404 || event.code === 1000) {
        this.handlers.onConnection?.("closed");
        return;
      }
      this.handlers.onConnection?.("lost");
      setTimeout(() => this.closed || this.connect(), this.retryDelay);
      this.retryDelay = Math.min(this.retryDelay * 2, 5000);
    };
  }

  /** Send a control message ({type: "pause"} ...); false when the socket is not open. */
  send(message) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  /** Show frames of `kinds` from now on (null: all); a closed socket's next connection asks for them. */
  setKinds(kinds) {
    this.kinds = kinds;
    if (this.send({ type: "watch", kinds })) this.askedKinds = kindsKey(kinds);
  }

  close() {
    this.closed = true;
    this.socket?.close(1000);
  }
}

function kindsKey(kinds) {
  return kinds ? [...kinds].sort().join(",") : "*";
}

/** Show a message to the person (errors from the server, lost connections). */
export function toast(message, timeout = 6000) {
  const box = document.getElementById("toast");
  box.textContent = message;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (box.hidden = true), timeout);
}

/** Reflect the stream's connection state in the top bar. */
export function showConnection(state) {
  const box = document.getElementById("connection");
  box.textContent = state === "lost" ? "connection lost: reconnecting…" : state === "open" ? "live" : "";
  box.classList.toggle("lost", state === "lost");
}
