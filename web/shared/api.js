// The agent and ops API (docs/api.md) as the pages use it: one small client per tenant and
// token, JSON in and out, errors turned into ApiError carrying the server's code and message.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;  // 0 when the request never reached the server
    this.code = code;      // "unauthorized", "conflict", ... from {"error","message"}
  }
  // One line for the page: what went wrong, in the server's words.
  describe() {
    if (this.status === 0) return `Cannot reach omniroute: ${this.message}`;
    return `${this.message} (${this.status} ${this.code})`;
  }
}

export class Api {
  constructor(tenant, token) {
    this.tenant = tenant;
    this.token = token;
    this.base = `/api/v1/tenants/${encodeURIComponent(tenant)}`;
  }

  async request(method, path, body) {
    const headers = {Authorization: `Bearer ${this.token}`, Accept: 'application/json'};
    const init = {method, headers, cache: 'no-store'};
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(this.base + path, init);
    } catch (e) {
      throw new ApiError(0, 'network', e.message);
    }
    const text = await response.text();
    let json = null;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        json = null;  // a proxy's HTML error page, say: reported by status below
      }
    }
    if (!response.ok) {
      const code = json?.error ?? 'http_error';
      const message = json?.message ?? (text.slice(0, 200) || response.statusText);
      throw new ApiError(response.status, code, message);
    }
    return json ?? {};
  }

  get(path) { return this.request('GET', path); }
  post(path, body = {}) { return this.request('POST', path, body); }
  put(path, body) { return this.request('PUT', path, body); }

  // ws:// or wss:// URL of an agent's socket; browsers cannot set headers on a WebSocket, so
  // the token rides in the query (docs/api.md, "The agent WebSocket").
  socketUrl(agent) {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const path = `${this.base}/agents/${encodeURIComponent(agent)}/socket`;
    return `${scheme}://${location.host}${path}?access_token=${encodeURIComponent(this.token)}`;
  }
}

// The tenant and token survive a page reload (sessionStorage: gone when the tab closes).
export function loadSession(page) {
  try {
    return JSON.parse(sessionStorage.getItem(`omniroute.${page}`) || 'null');
  } catch {
    return null;
  }
}
export function saveSession(page, session) {
  if (session) sessionStorage.setItem(`omniroute.${page}`, JSON.stringify(session));
  else sessionStorage.removeItem(`omniroute.${page}`);
}

// "42 s", "3 min 05 s", "2 h 10 min": a wait or a countdown for people, not machines.
export function formatDuration(ms) {
  if (ms == null || !Number.isFinite(ms)) return '–';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${String(m % 60).padStart(2, '0')} min`;
}

export function formatTime(ms) {
  if (!ms) return '';
  return new Date(ms).toLocaleTimeString([], {hour: '2-digit', minute: '2-digit', second: '2-digit'});
}

// Builds an element: el('li', {class: 'x', dataset: {id}}, 'text', child, ...). Text is always
// set as text, never parsed as HTML: customer messages are untrusted.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

// Shows an error (or clears it with null) in a role="alert" element.
export function showError(element, error) {
  if (!error) {
    element.hidden = true;
    element.textContent = '';
    return;
  }
  element.textContent = error instanceof ApiError ? error.describe() : String(error.message ?? error);
  element.hidden = false;
}
