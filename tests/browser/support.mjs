// What the browser tests need around the browser: the real omniroute binary on the example
// config (embedded Redis, a free port, a fresh data folder), a signed Twilio webhook, and
// Debian's chromium through playwright-core. Nothing here downloads anything.
import {spawn} from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const CHROMIUM = process.env.OMNIROUTE_CHROMIUM ?? '/usr/bin/chromium';
export const TWILIO_TOKEN = 'demo-auth-token';  // what scripts/run.sh exports for the demo

// Flags for a sandboxed machine without network: no first-run, no background fetches (they
// fail here, many at a time), a fresh profile (Playwright makes one per launch).
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// Everything the test needs from outside, checked up front so that a missing piece fails with
// what to do instead of a stack trace (scripts/setup.sh installs all of it).
export function requirePrerequisites() {
  const missing = [];
  const binary = process.env.OMNIROUTE_BINARY;
  const source = process.env.OMNIROUTE_SOURCE_DIR;
  if (!binary || !fs.existsSync(binary)) missing.push(`OMNIROUTE_BINARY (${binary}): the built omniroute`);
  if (!source || !fs.existsSync(path.join(source, 'config/omniroute.example.yaml'))) {
    missing.push(`OMNIROUTE_SOURCE_DIR (${source}): the source checkout`);
  }
  if (!fs.existsSync(CHROMIUM)) missing.push(`${CHROMIUM}: apt-get install chromium`);
  if (!fs.existsSync(new URL('./node_modules/playwright-core/package.json', import.meta.url))) {
    missing.push('tests/browser/node_modules: npm ci in tests/browser');
  }
  if (missing.length) {
    throw new Error(`browser tests cannot run; run scripts/setup.sh. Missing:\n  ${missing.join('\n  ')}`);
  }
  return {binary, source};
}

// Runs `omniroute run -c config/omniroute.example.yaml --listen 127.0.0.1:0` in a temp folder
// whose `config` and `web` link to the checkout: the example's relative paths (rules file, web
// root) resolve as in scripts/run.sh, while the embedded Redis keeps its data in the temp folder,
// so every run starts empty.
export class Daemon {
  static async start({binary, source}) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'omniroute-browser-'));
    fs.symlinkSync(path.join(source, 'config'), path.join(dir, 'config'));
    fs.symlinkSync(path.join(source, 'web'), path.join(dir, 'web'));
    const daemon = new Daemon(dir);
    daemon.child = spawn(binary, ['run', '-c', 'config/omniroute.example.yaml',
                                  '--listen', '127.0.0.1:0'], {
      cwd: dir,
      env: {...process.env, TWILIO_AUTH_TOKEN: TWILIO_TOKEN},
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    daemon.child.stdout.on('data', (d) => daemon.onLog(d));
    daemon.child.stderr.on('data', (d) => daemon.onLog(d));
    daemon.exited = new Promise((resolve) => daemon.child.on('exit', (code, signal) => {
      daemon.exitCode = code ?? 128 + (os.constants.signals[signal] ?? 0);
      resolve(daemon.exitCode);
    }));
    const line = await daemon.waitForLog('"msg":"listening"', 30000);
    daemon.port = Number(/"port":(\d+)/.exec(line)[1]);
    daemon.base = `http://127.0.0.1:${daemon.port}`;
    await daemon.waitReady(30000);
    // Ready means the API and Redis answer; the router takes a moment more to win the lease and
    // commit the agents the rules declare. Its "rules applied" line comes after that first
    // commit, so from then on signing in finds alice (a fresh start raced it: 404 no agent).
    await daemon.waitForLog('"msg":"rules applied"', 30000);
    return daemon;
  }

  constructor(dir) {
    this.dir = dir;
    this.log = '';
    this.waiters = [];
    this.exitCode = null;
  }

  onLog(chunk) {
    this.log += chunk.toString();
    for (const w of [...this.waiters]) w();
  }

  // Resolves with the first log line that contains `needle`, as lines arrive (no polling).
  waitForLog(needle, timeoutMs) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const line = this.log.split('\n').find((l) => l.includes(needle));
        if (line) {
          done();
          resolve(line);
        } else if (this.exitCode !== null) {
          done();
          reject(new Error(`omniroute exited (${this.exitCode}) before logging ${needle}:\n${this.log}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${needle} in:\n${this.log}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
      };
      this.waiters.push(check);
      this.child.once('exit', check);
      check();
    });
  }

  // /readyz says Redis is reachable and the config loaded; the router's lease follows.
  async waitReady(timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await fetch(`${this.base}/readyz`).catch(() => null);
      if (r?.status === 200) return;
      if (this.exitCode !== null) throw new Error(`omniroute exited:\n${this.log}`);
      if (Date.now() > deadline) throw new Error(`omniroute never became ready:\n${this.log}`);
      await new Promise((resolve) => setTimeout(resolve, 50));  // start-up readiness poll
    }
  }

  async api(method, path, token, body) {
    const r = await fetch(`${this.base}/api/v1/tenants/demo${path}`, {
      method,
      headers: {Authorization: `Bearer ${token}`,
                ...(body ? {'Content-Type': 'application/json'} : {})},
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    return {status: r.status, body: text ? JSON.parse(text) : null};
  }

  async stop() {
    if (this.exitCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 30000);
      await this.exited;
      clearTimeout(timer);
    }
    fs.rmSync(this.dir, {recursive: true, force: true});
    return this.exitCode;
  }
}

// Twilio's signature: base64(HMAC-SHA1(auth token, URL + every POST parameter sorted by name as
// name+value)), in X-Twilio-Signature (as tests/support/twilio_signer.cc and
// scripts/send-test-sms.sh compute it).
export function twilioSignature(token, url, params) {
  const data = url + Object.keys(params).sort().map((k) => k + params[k]).join('');
  return crypto.createHmac('sha1', token).update(data, 'utf8').digest('base64');
}

export async function postTwilioSms(base, {sid, from, body}) {
  const url = `${base}/webhooks/twilio/demo`;
  const params = {MessageSid: sid, SmsSid: sid, AccountSid: 'AC00000000000000000000000000000000',
                  From: from, To: '+15005550006', Body: body, NumMedia: '0',
                  SmsStatus: 'received', ApiVersion: '2010-04-01'};
  const response = await fetch(url, {
    method: 'POST',
    headers: {'Content-Type': 'application/x-www-form-urlencoded',
              'X-Twilio-Signature': twilioSignature(TWILIO_TOKEN, url, params)},
    body: new URLSearchParams(params).toString(),
  });
  return response.status;
}
