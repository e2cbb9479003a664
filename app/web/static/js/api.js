// Calls to the Price Runner API from this origin, with the visitor's key when one is set.

import { readEvents } from "./sse.js";

const KEY_NAME = "price-runner.api-key";

/** The API key or token kept for this tab (sessionStorage: gone when the tab closes). */
export const credentials = {
  get: () => sessionStorage.getItem(KEY_NAME) || "",
  set: (value) => sessionStorage.setItem(KEY_NAME, value),
  clear: () => sessionStorage.removeItem(KEY_NAME),
};

/** An error answer from the API: its status and the envelope's message. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function headers(json) {
  const result = { Accept: "application/json" };
  if (json) result["Content-Type"] = "application/json";
  const key = credentials.get();
  // Bearer carries an API key (AUTH_MODE=api_key) and a JWT (AUTH_MODE=jwt) alike.
  if (key) result.Authorization = `Bearer ${key}`;
  return result;
}

async function failure(response) {
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    if (body && body.error && body.error.message) message = body.error.message;
  } catch {
    // not the JSON envelope (a proxy's page): the status line says enough
  }
  return new ApiError(response.status, message);
}

/** GET or POST a path; resolve to the parsed JSON body, reject with ApiError. */
export async function api(path, { body, signal } = {}) {
  const init = { headers: headers(body !== undefined), signal, cache: "no-store" };
  if (body !== undefined) {
    init.method = "POST";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (!response.ok) throw await failure(response);
  return response.json();
}

/** POST send_prompt with "stream": true; call onEvent(name, data) per event until the stream ends. */
export async function streamPrompt(body, onEvent, signal) {
  const response = await fetch("/api/send_prompt", {
    method: "POST", signal, cache: "no-store",
    headers: { ...headers(true), Accept: "text/event-stream" },
    body: JSON.stringify({ ...body, stream: true }),
  });
  if (!response.ok) throw await failure(response);
  for await (const { event, data } of readEvents(response.body)) {
    onEvent(event, JSON.parse(data));
  }
}
