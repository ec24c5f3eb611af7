// What this browser may change: the owner tokens of the jobs and uploads it created, the teacher's
// token when one was typed on the jobs page, and the browser's own client id (the server counts its
// per-client limits by it). All kept in localStorage, so a reload, another tab or another page of
// netplay in the same browser keeps control of the same jobs; see app/owners.py for the server's side.

const KEYS = { jobs: "netplay.owners.jobs", uploads: "netplay.owners.uploads", teacher: "netplay.teacher", client: "netplay.client" };
const KEPT = 500; // owner tokens kept per kind, newest last (the server keeps at most this many jobs)

function read(key, fallback) {
  try {
    return JSON.parse(localStorage.getItem(key)) ?? fallback;
  } catch {
    return fallback;
  }
}

function write(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // storage refused (private mode): control lasts as long as this page
  }
}

const memory = { jobs: read(KEYS.jobs, {}), uploads: read(KEYS.uploads, {}) };

function tokens(kind) {
  memory[kind] = { ...memory[kind], ...read(KEYS[kind], {}) }; // another tab may have added some
  return memory[kind];
}

/** Keep the owner token of a job or upload (`kind` "jobs" or "uploads") this browser created. */
export function rememberOwner(kind, id, token) {
  const kept = Object.entries(tokens(kind)).filter(([known]) => known !== id);
  memory[kind] = Object.fromEntries([...kept.slice(-(KEPT - 1)), [id, token]]);
  write(KEYS[kind], memory[kind]);
}

/** Forget the token of a job or upload that is gone. */
export function forgetOwner(kind, id) {
  const kept = tokens(kind);
  delete kept[id];
  write(KEYS[kind], kept);
}

/** Whether this browser created the job or upload (it holds its owner token). */
export function owns(kind, id) {
  return Boolean(tokens(kind)[id]);
}

/** The teacher's token typed on this browser, or "". */
export function teacherToken() {
  return read(KEYS.teacher, "");
}

/** Keep the teacher's token (an empty one forgets it). */
export function setTeacherToken(token) {
  write(KEYS.teacher, token || "");
}

/** The token to change a job or upload with: its owner's, else the teacher's, else null. */
export function tokenFor(kind, id) {
  return tokens(kind)[id] || teacherToken() || null;
}

/** This browser's client id (random, made once). */
export function clientId() {
  let id = read(KEYS.client, null);
  if (typeof id !== "string" || !id) {
    id = Array.from(crypto.getRandomValues(new Uint8Array(12)), (byte) => byte.toString(16).padStart(2, "0")).join("");
    write(KEYS.client, id);
  }
  return id;
}

/** The job or upload a REST path changes ({kind, id}), or null (`/api/jobs/<id>/...`,
 * `/api/datasets/uploads/<file>`). */
export function ownedBy(path) {
  const job = path.match(/^\/api\/jobs\/([^/?#]+)/);
  if (job) return { kind: "jobs", id: decodeURIComponent(job[1]) };
  const upload = path.match(/^\/api\/datasets\/uploads\/([^/?#]+)/);
  return upload ? { kind: "uploads", id: decodeURIComponent(upload[1]) } : null;
}
