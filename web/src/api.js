/**
 * The page's own calls to the Loupe HTTP API (index list, settings, the discovery search), and the
 * one place that turns any failure — ours or instant-meilisearch's — into a sentence a person can act
 * on. Searches themselves go through instant-meilisearch, exactly as a production frontend's would.
 */

/** The server's address: the page is served by the server it searches, possibly under a path prefix. */
export function apiBase() {
  return new URL('.', window.location.href).href.replace(/\/$/, '');
}

/** A failed API call, with what the server said (status 0 when it could not be reached). */
export class ApiError extends Error {
  constructor(message, { status, code }) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/** One JSON call; the user's key goes on every call (the page has no other credentials). */
export async function api(key, method, path, body) {
  const headers = {};
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(apiBase() + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(String(error && error.message), { status: 0, code: 'unreachable' });
  }
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    const message = (json && json.message) || `HTTP ${response.status} ${response.statusText}`.trim();
    throw new ApiError(message, { status: response.status, code: json && json.code });
  }
  return json;
}

/**
 * Status, code and server message of an error from any layer: our ApiError, meilisearch-js's
 * MeilisearchApiError (status on `.response`, the error object in `.cause`), its request error when
 * the server is down, or instant-meilisearch's wrapper around those (`.cause`).
 */
export function errorFacts(error) {
  let current = error;
  for (let depth = 0; current && depth < 5; depth += 1) {
    if (current instanceof ApiError) {
      return { status: current.status, code: current.code, message: current.message };
    }
    if (current.response && typeof current.response.status === 'number') {
      const body = current.cause || {};
      return { status: current.response.status, code: body.code, message: body.message || current.message };
    }
    if (current.name === 'MeilisearchRequestError' || current.name === 'MeiliSearchCommunicationError'
      || (current instanceof TypeError && /fetch/i.test(current.message))) {
      return { status: 0, code: 'unreachable', message: current.message };
    }
    current = current.cause;
  }
  const message = (error && error.message) || String(error);
  return { status: undefined, code: undefined, message };
}

/** What to tell the user, with the server's own words when it gave any. */
export function describeError(error) {
  const { status, code, message } = errorFacts(error);
  if (status === 0) {
    return `Cannot reach the Loupe server at ${apiBase()}. Is it running? (${message})`;
  }
  if (status === 401) {
    return `This server requires an API key: enter one in the “API key” field. The server said: ${message}`;
  }
  if (status === 403) {
    return `The API key was refused (${code || 'forbidden'}): ${message} Check the “API key” field.`;
  }
  if (code === 'index_not_found') {
    return `${message} Choose another index.`;
  }
  return code ? `${message} (${code})` : message;
}
