// The ops dashboard: per-queue waiting and SLA, agents by state, and a chart of the last hour,
// all from GET /dashboard (docs/api.md), refreshed every few seconds.
import uPlot from '../vendor/uplot/uPlot.esm.js';

import {Api, ApiError, el, formatDuration, formatTime, loadSession, saveSession, showError}
  from '../shared/api.js';

const $ = (id) => document.getElementById(id);
const REFRESH_MS = 5000;
const HOUR_MS = 3600 * 1000;

const state = {api: null, timer: null, chart: null, running: false};

// --- the dashboard's answer, read in one place --------------------------------------------------

const num = (...values) => {
  for (const v of values) if (typeof v === 'number' && Number.isFinite(v)) return v;
  return null;
};

function queuesOf(data) {
  const q = data.queues ?? [];
  const list = Array.isArray(q) ? q : Object.entries(q).map(([name, v]) => ({name, ...v}));
  return list.map((x) => ({
    name: x.name ?? x.queue,
    waiting: num(x.waiting) ?? 0,
    oldestWaitMs: num(x.oldest_wait_ms, x.oldest_wait_secs != null ? x.oldest_wait_secs * 1000 : null),
    targetMs: num(x.sla_target_ms, x.oldest_sla_target_ms, x.target_ms,
                  x.sla_target_secs != null ? x.sla_target_secs * 1000 : null),
    atRisk: num(x.at_risk),
    offered: num(x.offered) ?? 0,
    active: num(x.active) ?? 0,
    available: num(x.available_agents, x.available),
    breaches: num(x.breaches_last_hour, x.breaches_1h, x.breached_last_hour, x.breaches) ?? 0,
  })).sort((a, b) => a.name.localeCompare(b.name));
}

// Agents come as a list (grouped here by presence) or as {state: count | [agents]}.
function agentsByState(data) {
  const groups = new Map([['available', []], ['away', []], ['offline', []]]);
  const a = data.agents ?? data.agents_by_state ?? {};
  if (Array.isArray(a)) {
    for (const agent of a) {
      const key = agent.presence ?? 'unknown';
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(agent);
    }
    return [...groups].map(([name, list]) => ({name, count: list.length, agents: list}));
  }
  for (const [name, v] of Object.entries(a)) {
    if (!groups.has(name)) groups.set(name, []);
    groups.set(name, v);
  }
  return [...groups].map(([name, v]) => Array.isArray(v)
    ? {name, count: v.length, agents: v} : {name, count: num(v) ?? 0, agents: null});
}

function samplesOf(data) {
  const list = data.samples ?? data.timeline ?? [];
  return list.map((s) => ({
    atMs: num(s.at_ms, s.ts_ms, s.time_ms),
    waiting: num(s.waiting) ?? 0,
    inSla: num(s.answered_in_sla) ?? 0,
    late: num(s.answered_late) ?? 0,
    breached: num(s.breached) ?? 0,
  })).filter((s) => s.atMs).sort((a, b) => a.atMs - b.atMs);
}

// --- rendering ----------------------------------------------------------------------------------

function cell(value, extra = {}) {
  return el('td', {class: 'num', ...extra}, value ?? '–');
}

function renderQueues(queues) {
  const rows = queues.map((q) => {
    const late = q.oldestWaitMs != null && q.targetMs != null && q.oldestWaitMs > q.targetMs;
    return el('tr', {dataset: {queue: q.name}},
      el('th', {scope: 'row'}, q.name),
      cell(q.waiting, {dataset: {field: 'waiting'}}),
      el('td', {class: 'num', dataset: {field: 'oldest'}},
         q.waiting ? el('span', {class: late ? 'late' : null}, formatDuration(q.oldestWaitMs))
                   : '–'),
      cell(q.targetMs != null ? formatDuration(q.targetMs) : null),
      cell(q.atRisk, {dataset: {field: 'at-risk'}}),
      cell(q.offered, {dataset: {field: 'offered'}}),
      cell(q.active, {dataset: {field: 'active'}}),
      cell(q.available, {dataset: {field: 'available'}}),
      cell(q.breaches, {dataset: {field: 'breaches'}}));
  });
  if (!rows.length) {
    rows.push(el('tr', {class: 'empty'}, el('td', {colspan: 9}, 'No queues yet.')));
  }
  $('queues').tBodies[0].replaceChildren(...rows);
}

function renderAgents(groups) {
  $('agents').replaceChildren(...groups.map((g) =>
    el('div', {class: 'agent-state', dataset: {state: g.name}},
      el('h3', {}, el('span', {class: `badge ${g.name}`}, g.name),
         el('span', {class: 'count'}, String(g.count))),
      g.agents?.length ? el('ul', {}, g.agents.map((a) => el('li', {},
        a.name ?? a.id ?? String(a),
        a.presence === 'away' && (a.away_reason ?? a.reason)
          ? ` (${a.away_reason ?? a.reason})` : '',
        workOf(a)))) : null)));
}

// " · 1 active, 1 offered" for an agent with work, nothing otherwise.
function workOf(agent) {
  const parts = [];
  if (agent.load?.active) parts.push(`${agent.load.active} active`);
  if (agent.load?.offered) parts.push(`${agent.load.offered} offered`);
  return parts.length ? ` · ${parts.join(', ')}` : '';
}

function renderTotals(queues, samples) {
  const sum = (key) => queues.reduce((n, q) => n + (q[key] ?? 0), 0);
  $('total-waiting').textContent = String(sum('waiting'));
  $('total-offered').textContent = String(sum('offered'));
  $('total-active').textContent = String(sum('active'));
  $('total-breaches').textContent = String(sum('breaches'));
  const inSla = samples.reduce((n, s) => n + s.inSla, 0);
  const answered = inSla + samples.reduce((n, s) => n + s.late, 0);
  $('total-attainment').textContent = answered ? `${Math.round(100 * inSla / answered)} %` : '–';
}

// Attainment at each sample: answered in SLA / answered, counted from the hour's start, so a
// quiet 15 s between samples does not make the line jump to nothing.
function chartData(samples) {
  const xs = [];
  const waiting = [];
  const attainment = [];
  let inSla = 0;
  let answered = 0;
  for (const s of samples) {
    inSla += s.inSla;
    answered += s.inSla + s.late;
    xs.push(s.atMs / 1000);
    waiting.push(s.waiting);
    attainment.push(answered ? (100 * inSla) / answered : null);
  }
  return [xs, waiting, attainment];
}

function chartWidth() {
  return Math.max(300, $('chart').clientWidth || 600);
}

function renderChart(samples) {
  const data = chartData(samples);
  if (!state.chart) {
    state.chart = new uPlot({
      width: chartWidth(),
      height: 260,
      scales: {
        x: {time: true, range: () => [(Date.now() - HOUR_MS) / 1000, Date.now() / 1000]},
        waiting: {range: (u, min, max) => [0, Math.max(4, max ?? 0)]},
        pct: {range: [0, 100]},
      },
      axes: [
        {stroke: '#1b1f24'},
        {scale: 'waiting', label: 'waiting', stroke: '#0b5cad'},
        {scale: 'pct', label: 'SLA %', side: 1, stroke: '#1d6b2f', grid: {show: false}},
      ],
      series: [
        {},
        {label: 'Waiting', scale: 'waiting', stroke: '#0b5cad', width: 2,
         fill: 'rgba(11,92,173,0.08)'},
        {label: 'SLA attainment %', scale: 'pct', stroke: '#1d6b2f', width: 2, dash: [6, 4],
         spanGaps: true},
      ],
    }, data, $('chart'));
    new ResizeObserver(() => state.chart.setSize({width: chartWidth(), height: 260}))
      .observe($('chart'));
  } else {
    state.chart.setData(data);
  }
  const last = samples.at(-1);
  $('chart-summary').textContent = samples.length
    ? `${samples.length} sample${samples.length === 1 ? '' : 's'}; the latest at ${formatTime(last.atMs)}: ${last.waiting} waiting.`
    : 'No samples yet: the router records one every 15 s.';
}

// --- refresh loop -------------------------------------------------------------------------------

async function refresh() {
  if (!state.running) return;
  try {
    const data = await state.api.get('/dashboard');
    const queues = queuesOf(data);
    const samples = samplesOf(data).filter((s) => s.atMs >= Date.now() - HOUR_MS);
    renderTotals(queues, samples);
    renderQueues(queues);
    renderAgents(agentsByState(data));
    renderChart(samples);
    showError($('error'), null);
    $('updated').textContent = `Updated ${formatTime(Date.now())}`;
  } catch (e) {
    showError($('error'), e);
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
      stop();
      backToSignIn();
      return;
    }
  }
  if (state.running) state.timer = setTimeout(refresh, REFRESH_MS);
}

function stop() {
  state.running = false;
  clearTimeout(state.timer);
}

function backToSignIn() {
  saveSession('dashboard', null);
  $('board').hidden = true;
  $('signin').hidden = false;
  $('sign-out').hidden = true;
  $('who').textContent = '';
  $('updated').textContent = '';
}

async function signIn(tenant, token) {
  const api = new Api(tenant, token);
  const me = await api.get('/me');
  if (me.role !== 'supervisor' && me.role !== 'admin') {
    throw new Error(`This token is for an ${me.role} (${me.name}); the dashboard needs a ` +
                    'supervisor or admin token.');
  }
  state.api = api;
  saveSession('dashboard', {tenant, token});
  $('who').textContent = `${me.name} · ${tenant}`;
  $('signin').hidden = true;
  $('board').hidden = false;
  $('sign-out').hidden = false;
  stop();
  state.running = true;
  await refresh();
}

function start() {
  const tenantInput = $('tenant');
  const params = new URLSearchParams(location.search);
  if (params.get('tenant')) tenantInput.value = params.get('tenant');
  const updateHint = () => { $('demo-hint').hidden = tenantInput.value.trim() !== 'demo'; };
  tenantInput.addEventListener('input', updateHint);
  updateHint();

  $('signin-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    showError($('error'), null);
    try {
      await signIn(tenantInput.value.trim(), $('token').value.trim());
      $('token').value = '';
    } catch (e) {
      showError($('error'), e);
    }
  });
  $('sign-out').addEventListener('click', () => {
    stop();
    backToSignIn();
  });

  const saved = loadSession('dashboard');
  if (saved) {
    tenantInput.value = saved.tenant;
    updateHint();
    signIn(saved.tenant, saved.token).catch((e) => {
      showError($('error'), e);
      backToSignIn();
    });
  }
}

start();
