// The agent console: sign in with a token, set presence, take offers as they arrive over the
// agent WebSocket, answer customers with their history from every channel, wrap up or transfer.
// Commands go over HTTP (docs/api.md); the socket only tells us what changed.
import {Api, ApiError, el, formatDuration, formatTime, loadSession, saveSession, showError}
  from '../shared/api.js';

const $ = (id) => document.getElementById(id);

const state = {
  api: null,
  agent: null,          // agent id from GET /me
  offers: new Map(),    // contact id → {contact, expiresMs, receivedMs}
  active: new Map(),    // contact id → contact
  customers: new Map(), // customer id → {identities, tier} (GET /customers/{id}), best effort
  previews: new Map(),  // contact id → the customer's latest message on it, for offer cards
  selected: null,       // contact id shown in the conversation pane
  thread: [],           // history lines of the selected contact's customer
  socket: null,
  reconnectAttempts: 0,
  reconnectTimer: null,
  signedOut: true,
};

// --- the contact as the API describes it (field names kept in one place) --------------------

const contactId = (c) => c?.id ?? c?.contact_id ?? c?.contact;
const customerOf = (c) => c?.customer_id ?? c?.customer?.id ?? c?.customer;
const deadlineOf = (c) => c?.sla_deadline_ms ?? c?.deadline_ms;
const previewOf = (c) => c?.text ?? c?.last_text ?? c?.preview ?? c?.subject ?? '';
// "+15557654321" rather than the customer's opaque id, once GET /customers/{id} answered.
function customerLabel(c) {
  const ids = state.customers.get(customerOf(c))?.identities;
  if (!ids?.length) return customerOf(c) ?? '';
  return ids.map((i) => String(i).replace(/^[a-z_]+:/, '')).join(', ');
}
const describe = (c) => [c?.channel, c?.queue && `queue ${c.queue}`, c?.tier].filter(Boolean).join(' · ');

// --- errors and notices -----------------------------------------------------------------------

function fail(error) {
  showError($('error'), error);
  if (error instanceof ApiError && error.status === 401) backToSignIn(error.describe());
}
function notice(text) {
  const box = $('notice');
  box.textContent = text;
  box.hidden = !text;
}
// Runs one user action: clears the last error, disables the button while it runs.
async function action(button, fn) {
  showError($('error'), null);
  if (button) button.disabled = true;
  try {
    return await fn();
  } catch (e) {
    fail(e);
  } finally {
    if (button) button.disabled = false;
  }
}

// --- sign-in ------------------------------------------------------------------------------------

async function signIn(tenant, token, {restoring = false} = {}) {
  const api = new Api(tenant, token);
  const me = await api.get('/me');
  if (me.role !== 'agent' || !me.agent) {
    throw new Error(`This token is for a ${me.role} (${me.name}); the console needs an agent ` +
                    'token. Supervisors use the dashboard.');
  }
  let agent = await api.get(`/agents/${encodeURIComponent(me.agent)}`);
  // A reload keeps the presence the agent had; a fresh sign-in starts away ("signed-in").
  if (!restoring || agent.presence === 'offline') {
    agent = await api.post(`/agents/${encodeURIComponent(me.agent)}/sign-in`);
  }
  state.api = api;
  state.agent = me.agent;
  state.signedOut = false;
  saveSession('console', {tenant, token});
  $('who').textContent = `${agent.name || me.agent} · ${tenant}`;
  showPresence(agent.presence, agent.away_reason ?? agent.reason);
  $('signin').hidden = true;
  $('workspace').hidden = false;
  $('sign-out').hidden = false;
  connect();
}

function backToSignIn(message) {
  state.signedOut = true;
  closeSocket();
  saveSession('console', null);
  state.offers.clear();
  state.active.clear();
  state.customers.clear();
  state.previews.clear();
  state.selected = null;
  $('workspace').hidden = true;
  $('sign-out').hidden = true;
  $('signin').hidden = false;
  $('who').textContent = '';
  setConnection('Not connected', 'neutral');
  if (message) showError($('error'), message);
}

async function signOut() {
  await action($('sign-out'), async () => {
    try {
      await state.api.post(`/agents/${encodeURIComponent(state.agent)}/sign-out`);
    } finally {
      backToSignIn(null);
      notice('Signed out.');
    }
  });
}

// --- presence -----------------------------------------------------------------------------------

function showPresence(presence, reason) {
  const badge = $('presence');
  badge.textContent = presence ?? 'unknown';
  badge.className = `badge ${presence ?? 'neutral'}`;
  $('presence-reason').textContent = presence === 'away' && reason ? `(${reason})` : '';
  for (const [id, value] of [['go-available', 'available'], ['go-away', 'away'],
                             ['go-offline', 'offline']]) {
    $(id).setAttribute('aria-pressed', String(presence === value));
  }
}

async function setPresence(button, presence, reason) {
  await action(button, async () => {
    const body = reason ? {presence, reason} : {presence};
    const agent = await state.api.put(`/agents/${encodeURIComponent(state.agent)}/presence`, body);
    showPresence(agent.presence ?? presence, agent.away_reason ?? agent.reason ?? reason);
  });
}

// --- the agent WebSocket, reconnecting with back-off --------------------------------------------

function setConnection(text, kind) {
  const badge = $('connection');
  badge.textContent = text;
  badge.className = `badge ${kind}`;
}

function closeSocket() {
  clearTimeout(state.reconnectTimer);
  state.reconnectTimer = null;
  if (state.socket) {
    const socket = state.socket;
    state.socket = null;
    socket.onclose = null;
    socket.close(1000, 'signed out');
  }
}

function connect() {
  closeSocket();
  setConnection('Connecting…', 'neutral');
  const socket = new WebSocket(state.api.socketUrl(state.agent));
  state.socket = socket;
  socket.onmessage = (event) => {
    try {
      handleMessage(JSON.parse(event.data));
    } catch (e) {
      console.error('bad socket message', event.data, e);
    }
  };
  socket.onclose = (event) => {
    if (state.socket !== socket) return;
    state.socket = null;
    if (event.code === 4001) {  // the token expired: a new one is needed
      backToSignIn('Your session expired. Sign in again with a fresh token.');
      return;
    }
    scheduleReconnect();
  };
}

// 1 s, 2 s, 4 s … up to 30 s, with jitter so that a restarted server is not hit by every
// console at once. Before each try, GET /me tells a revoked token (401) from a server that is
// away: a browser sees only "closed" when an upgrade is refused.
function scheduleReconnect() {
  if (state.signedOut) return;
  const base = Math.min(30000, 1000 * 2 ** state.reconnectAttempts);
  const delay = base / 2 + Math.random() * base / 2;
  state.reconnectAttempts += 1;
  setConnection(`Reconnecting in ${Math.ceil(delay / 1000)} s`, 'warn');
  state.reconnectTimer = setTimeout(async () => {
    try {
      await state.api.get('/me');
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        backToSignIn(e.describe());
        return;
      }
      scheduleReconnect();
      return;
    }
    if (!state.signedOut) connect();
  }, delay);
}

function handleMessage(msg) {
  switch (msg.type) {
    case 'hello':
      state.reconnectAttempts = 0;
      setConnection('Connected', 'ok');
      state.offers.clear();
      for (const c of msg.offers ?? []) addOffer(c, c.offer_expires_ms ?? c.expires_ms);
      state.active.clear();
      for (const c of msg.active ?? []) {
        state.active.set(contactId(c), c);
        learnCustomer(c);
      }
      if (state.selected && !state.active.has(state.selected)) state.selected = null;
      renderLists();
      if (state.selected) loadThread();
      break;
    case 'offer':
      addOffer(msg.contact, msg.expires_ms);
      renderLists();
      break;
    case 'offer_gone':
      if (state.offers.delete(msg.contact_id)) {
        notice(`Offer ${msg.contact_id} is gone (${msg.reason}).`);
        renderLists();
      }
      break;
    case 'assigned':
      state.offers.delete(contactId(msg.contact));
      state.active.set(contactId(msg.contact), msg.contact);
      learnCustomer(msg.contact);
      if (!state.selected) select(contactId(msg.contact));
      renderLists();
      break;
    case 'message':
      onMessageLine(msg.contact_id, msg.message);
      break;
    case 'closed':
      state.active.delete(msg.contact_id);
      if (state.selected === msg.contact_id) select(null);
      renderLists();
      break;
    case 'presence':
      showPresence(msg.presence, msg.reason);
      if (msg.presence === 'away' && msg.reason) notice(`You were set away: ${msg.reason}.`);
      break;
    default:
      break;  // newer servers may send more; ignore what we do not know
  }
}

// --- offers -------------------------------------------------------------------------------------

function addOffer(contact, expiresMs) {
  state.offers.set(contactId(contact), {contact, expiresMs, receivedMs: Date.now()});
  rememberQueue(contact.queue);
  learnCustomer(contact, {preview: true});
}

// Who the customer is and, for an offer, what they wrote: the offered agent may read both
// (docs/api.md). Best effort: the card works without them.
async function learnCustomer(contact, {preview = false} = {}) {
  const customer = customerOf(contact);
  const id = contactId(contact);
  if (!customer) return;
  const path = `/customers/${encodeURIComponent(customer)}`;
  try {
    if (!state.customers.has(customer)) {
      state.customers.set(customer, await state.api.get(path));
    }
    if (preview) {
      const lines = historyLines(await state.api.get(`${path}/history`));
      const last = lines.filter((l) => l.direction !== 'out' && l.contact === id).at(-1);
      if (last?.text) state.previews.set(id, last.text);
    }
    renderLists();
  } catch (e) {
    console.warn('customer details unavailable', customer, e);
  }
}

const historyLines = (h) => (Array.isArray(h) ? h : (h.lines ?? h.messages ?? []));

function offerCard(id, offer) {
  const c = offer.contact;
  const total = Math.max(1, (offer.expiresMs ?? offer.receivedMs) - offer.receivedMs);
  return el('li', {class: 'offer', dataset: {contact: id}},
    el('div', {class: 'title'}, `New ${c.channel ?? ''} contact`),
    el('div', {class: 'meta'}, describe(c)),
    el('div', {class: 'meta'}, `from ${customerLabel(c)}`),
    (state.previews.get(id) ?? previewOf(c)) &&
      el('p', {class: 'preview'}, state.previews.get(id) ?? previewOf(c)),
    el('div', {},
      'Expires in ',
      el('span', {class: 'countdown', dataset: {expires: offer.expiresMs ?? ''}}, '…')),
    el('progress', {max: total, value: total, 'aria-label': 'Time left to accept'}),
    el('div', {class: 'row'},
      el('button', {type: 'button', class: 'accept', onclick: (e) => accept(e.target, id)},
         'Accept'),
      el('button', {type: 'button', class: 'secondary reject',
                    onclick: (e) => reject(e.target, id)}, 'Reject')));
}

// Every offer's countdown, four times a second; the server's offer_gone removes the card.
function tickCountdowns() {
  const now = Date.now();
  for (const span of document.querySelectorAll('.countdown')) {
    const expires = Number(span.dataset.expires);
    if (!expires) {
      span.textContent = 'unknown';
      continue;
    }
    const left = expires - now;
    span.textContent = left > 0 ? formatDuration(left) : 'expired';
    span.classList.toggle('urgent', left < 10000);
    const bar = span.closest('li')?.querySelector('progress');
    if (bar) bar.value = Math.max(0, left);
  }
}

async function accept(button, id) {
  await action(button, async () => {
    const contact = await state.api.post(`/contacts/${encodeURIComponent(id)}/accept`);
    state.active.set(id, {...state.offers.get(id)?.contact, ...contact});
    state.offers.delete(id);
    select(id);
    renderLists();
  });
}

async function reject(button, id) {
  await action(button, async () => {
    await state.api.post(`/contacts/${encodeURIComponent(id)}/reject`, {reason: 'declined'});
    state.offers.delete(id);
    renderLists();
  });
}

// --- conversations ------------------------------------------------------------------------------

function activeCard(id, c) {
  return el('li', {class: id === state.selected ? 'selected' : null, dataset: {contact: id}},
    el('div', {class: 'title'}, `${c.channel ?? 'contact'} · ${customerLabel(c)}`),
    el('div', {class: 'meta'}, describe(c)),
    el('button', {type: 'button', class: 'secondary open', onclick: () => select(id),
                  'aria-current': id === state.selected ? 'true' : null}, 'Open'));
}

function renderLists() {
  const offers = $('offers');
  offers.replaceChildren(...[...state.offers].map(([id, o]) => offerCard(id, o)));
  $('no-offers').hidden = state.offers.size > 0;
  const active = $('active');
  active.replaceChildren(...[...state.active].map(([id, c]) => activeCard(id, c)));
  $('no-active').hidden = state.active.size > 0;
  tickCountdowns();
  renderConversation();
}

function select(id) {
  state.selected = id;
  state.thread = [];
  renderLists();
  if (id) loadThread();
}

async function loadThread() {
  const id = state.selected;
  const contact = state.active.get(id);
  const customer = customerOf(contact);
  if (!customer) return;
  try {
    const history = await state.api.get(`/customers/${encodeURIComponent(customer)}/history`);
    if (state.selected !== id) return;  // the agent moved on meanwhile
    state.thread = historyLines(history);
    renderThread();
  } catch (e) {
    fail(e);
  }
}

function onMessageLine(contact, line) {
  const selected = state.active.get(state.selected);
  if (!selected || !line) return;
  const sameCustomer = contact === state.selected ||
    (line.customer && line.customer === customerOf(selected));
  if (!sameCustomer) return;
  if (line.event_id && state.thread.some((l) => l.event_id === line.event_id)) return;
  state.thread.push(line);
  renderThread();
}

function renderConversation() {
  const contact = state.active.get(state.selected);
  $('no-conversation').hidden = Boolean(contact);
  $('conversation-body').hidden = !contact;
  if (!contact) return;
  const facts = [['Customer', customerLabel(contact)], ['Channel', contact.channel],
                 ['Queue', contact.queue], ['Tier', contact.tier], ['Status', contact.status],
                 ['SLA deadline', formatTime(deadlineOf(contact))], ['Contact', state.selected]];
  $('contact-facts').replaceChildren(...facts.filter(([, v]) => v).flatMap(
    ([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  renderThread();
}

function renderThread() {
  const list = $('thread');
  const lines = state.thread.map((line) => {
    const out = line.direction === 'out';
    const who = out ? (line.agent ? `agent ${line.agent}` : 'agent') : 'customer';
    return el('li', {class: `${out ? 'out' : 'in'} ${line.contact !== state.selected
                                                       ? 'other-contact' : ''}`},
      el('span', {class: 'line-meta'},
         `${who} · ${line.channel ?? ''} · ${formatTime(line.at_ms)}`),
      el('span', {class: 'text'}, line.text ?? ''));
  });
  list.replaceChildren(...lines);
  list.scrollTop = list.scrollHeight;
}

function newClientId() {
  return crypto.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

async function reply(event) {
  event.preventDefault();
  const id = state.selected;
  const text = $('reply-text').value.trim();
  if (!id || !text) return;
  await action(event.submitter, async () => {
    await state.api.post(`/contacts/${encodeURIComponent(id)}/reply`,
                         {text, client_id: newClientId()});
    $('reply-text').value = '';
    // The reply is in the history once the command answers (docs/commands.md). The socket's
    // "message" may bring it too; event ids keep it from showing twice.
    await loadThread();
  });
}

async function complete(event) {
  event.preventDefault();
  const id = state.selected;
  if (!id) return;
  const body = {wrap_up_code: $('wrap-up').value};
  const note = $('wrap-up-note').value.trim();
  if (note) body.note = note;
  await action(event.submitter, async () => {
    await state.api.post(`/contacts/${encodeURIComponent(id)}/complete`, body);
    $('wrap-up-note').value = '';
    state.active.delete(id);
    select(null);
    notice(`Completed ${id} (${body.wrap_up_code}).`);
  });
}

async function transfer(event) {
  event.preventDefault();
  const id = state.selected;
  const queue = $('transfer-queue').value.trim();
  if (!id || !queue) return;
  const body = {queue};
  const reason = $('transfer-reason').value.trim();
  if (reason) body.reason = reason;
  await action(event.submitter, async () => {
    await state.api.post(`/contacts/${encodeURIComponent(id)}/transfer`, body);
    $('transfer-queue').value = '';
    $('transfer-reason').value = '';
    state.active.delete(id);
    select(null);
    notice(`Transferred ${id} to queue ${queue}.`);
  });
}

const knownQueues = new Set(['general']);
function rememberQueue(queue) {
  if (!queue || knownQueues.has(queue)) return;
  knownQueues.add(queue);
  $('known-queues').replaceChildren(...[...knownQueues].map((q) => el('option', {value: q})));
}

// --- wiring -------------------------------------------------------------------------------------

function start() {
  rememberQueue('general');
  $('known-queues').replaceChildren(el('option', {value: 'general'}));
  const tenantInput = $('tenant');
  const params = new URLSearchParams(location.search);
  if (params.get('tenant')) tenantInput.value = params.get('tenant');
  const updateHint = () => { $('demo-hint').hidden = tenantInput.value.trim() !== 'demo'; };
  tenantInput.addEventListener('input', updateHint);
  updateHint();

  $('signin-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    notice('');
    await action(event.submitter, () =>
      signIn(tenantInput.value.trim(), $('token').value.trim()));
    $('token').value = '';
  });
  $('sign-out').addEventListener('click', signOut);
  $('go-available').addEventListener('click', (e) => setPresence(e.target, 'available'));
  $('go-away').addEventListener('click',
                                (e) => setPresence(e.target, 'away', $('away-reason').value));
  $('go-offline').addEventListener('click', (e) => setPresence(e.target, 'offline'));
  $('reply-form').addEventListener('submit', reply);
  $('complete-form').addEventListener('submit', complete);
  $('transfer-form').addEventListener('submit', transfer);
  setInterval(tickCountdowns, 250);

  const saved = loadSession('console');
  if (saved) {
    tenantInput.value = saved.tenant;
    updateHint();
    action(null, () => signIn(saved.tenant, saved.token, {restoring: true}));
  }
}

start();
