// The jobs this tab's page started (the ConvNet page's one job, the trainer comparison's several).
// Starting others stops them first, as the playground deletes its own: a page left for another setup
// does not leave jobs training for nobody. Kept in sessionStorage per page, so a reload still knows them.

import { api } from "./api.js";

const KEY = `netplay.${document.body.dataset.page}.started`;

/** Ids of the jobs this tab started and has not stopped yet, oldest first. */
export function startedJobs() {
  try {
    const ids = JSON.parse(sessionStorage.getItem(KEY));
    return Array.isArray(ids) ? ids : [];
  } catch {
    return [];
  }
}

function save(ids) {
  try {
    sessionStorage.setItem(KEY, JSON.stringify(ids));
  } catch {
    // storage refused: the page still stops what it knows of in this life
  }
}

/** Remember a job this tab started. */
export function rememberStarted(jobId) {
  save([...startedJobs().filter((id) => id !== jobId), jobId]);
}

/**
 * Stop every job this tab started (each stop answers once its job has parked, so their training slots
 * are free when this resolves). A job already finished (409) or deleted (404) is forgotten as well;
 * one the server could not be asked about stays for the next time, and its error is returned.
 * @returns {Promise<Error[]>}
 */
export async function stopStarted() {
  const ids = startedJobs();
  const answers = await Promise.all(ids.map((id) => api.post(`/api/jobs/${id}/stop`).then(
    () => null,
    (error) => (error.status === 409 || error.status === 404 ? null : error),
  )));
  const gone = ids.filter((_, index) => !answers[index]);
  save(startedJobs().filter((id) => !gone.includes(id)));
  return answers.filter(Boolean);
}
