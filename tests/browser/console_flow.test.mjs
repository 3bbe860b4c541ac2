// The console and the dashboard against the real daemon, in headless Debian chromium: an agent
// signs in, a customer's SMS waits, the agent goes available and gets the offer with its
// countdown, accepts, reads the history, replies and wraps up; the dashboard follows each step.
//
//   OMNIROUTE_BINARY=build/daemon/omniroute OMNIROUTE_SOURCE_DIR=$PWD node --test tests/browser/
//
// OMNIROUTE_SCREENSHOT_DIR (default tests/browser/output) receives the screenshots;
// OMNIROUTE_DOC_IMAGES=1 also writes docs/img/console.png and docs/img/dashboard.png.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {after, before, test} from 'node:test';

import {CHROMIUM, CHROMIUM_ARGS, Daemon, postTwilioSms, requirePrerequisites} from './support.mjs';

const WAIT = {timeout: 30000};  // the dashboard refreshes every 5 s; the router commits at once
const SMS_TEXT = 'Hello, where is my parcel? Order 4711.';
const REPLY_TEXT = 'Hi! Your parcel left our warehouse today and arrives tomorrow.';

const outDir = process.env.OMNIROUTE_SCREENSHOT_DIR ??
  path.join(path.dirname(new URL(import.meta.url).pathname), 'output');

let env;
let daemon;
let browser;
const pageErrors = [];

before(async () => {
  env = requirePrerequisites();
  fs.mkdirSync(outDir, {recursive: true});
  daemon = await Daemon.start(env);
  const {chromium} = await import('playwright-core');
  browser = await chromium.launch({executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS});
});

after(async () => {
  await browser?.close();
  const code = await daemon?.stop();
  if (code !== undefined && code !== 0) console.error(`omniroute exited ${code}:\n${daemon.log}`);
});

async function openPage(route) {
  const context = await browser.newContext({viewport: {width: 1280, height: 860}});
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`${route}: ${e.message}`));
  await page.goto(`${daemon.base}${route}`);
  return page;
}

async function screenshot(page, name) {
  await page.screenshot({path: path.join(outDir, `${name}.png`), fullPage: true});
}

function docImage(name) {
  if (process.env.OMNIROUTE_DOC_IMAGES !== '1') return;
  const docs = path.join(env.source, 'docs/img');
  fs.mkdirSync(docs, {recursive: true});
  fs.copyFileSync(path.join(outDir, `${name}.png`), path.join(docs, `${name}.png`));
}

// The cell of one queue's row on the dashboard, e.g. cell(page, 'general', 'waiting').
function cell(page, queue, field) {
  return page.locator(`#queues tr[data-queue="${queue}"] td[data-field="${field}"]`);
}
async function waitCell(page, queue, field, value) {
  await cell(page, queue, field).filter({hasText: new RegExp(`^${value}$`)}).waitFor(WAIT);
}

test('an agent takes an SMS from offer to wrap-up while the dashboard follows', async (t) => {
  try {
    await run(t);
  } catch (e) {
    for (const page of (browser?.contexts() ?? []).flatMap((c) => c.pages())) {
      const name = new URL(page.url()).pathname.replaceAll('/', '') || 'page';
      await screenshot(page, `failure-${name}`).catch(() => {});
    }
    e.message += `\n--- omniroute log (last 4000 chars) ---\n${daemon?.log.slice(-4000)}`;
    throw e;
  }
});

test('a wrong token is refused with the reason from the server', async () => {
  const page = await openPage('/console/');
  await page.getByLabel('Access token').fill('not-a-token');
  await page.getByRole('button', {name: 'Sign in'}).click();
  const error = page.getByRole('alert');
  await error.filter({hasText: /401 unauthorized/}).waitFor(WAIT);
  await page.locator('#signin').waitFor({state: 'visible', ...WAIT});
  await page.context().close();
});

test('away takes a reason, and a transfer hands the conversation to another queue', async () => {
  const page = await openPage('/console/');
  await page.getByLabel('Access token').fill('demo-alice-token');
  await page.getByRole('button', {name: 'Sign in'}).click();
  await page.locator('#connection', {hasText: /^Connected$/}).waitFor(WAIT);
  await page.getByRole('button', {name: 'Available'}).click();
  await page.locator('#presence', {hasText: /^available$/}).waitFor(WAIT);
  assert.equal(await postTwilioSms(daemon.base, {sid: 'SMbrowser0002', from: '+15550002222',
                                                 body: 'Can I pay by invoice?'}), 200);
  const offer = page.locator('#offers li.offer');
  await offer.getByRole('button', {name: 'Accept'}).click();
  await page.locator('#thread li.in', {hasText: 'Can I pay by invoice?'}).waitFor(WAIT);
  const contactId = await page.locator('#active li').getAttribute('data-contact');

  // Away for lunch: the open conversation stays hers, no new offers come.
  await page.getByLabel('Away reason').selectOption('lunch');
  await page.getByRole('button', {name: 'Away'}).click();
  await page.locator('#presence', {hasText: /^away$/}).waitFor(WAIT);
  await page.locator('#presence-reason', {hasText: '(lunch)'}).waitFor(WAIT);

  await page.getByLabel('To queue').fill('after_hours');
  await page.getByLabel('Reason (optional)').fill('needs the night desk');
  await page.getByRole('button', {name: 'Transfer'}).click();
  await page.locator('#active li').waitFor({state: 'detached', ...WAIT});
  await page.locator('#notice', {hasText: 'to queue after_hours'}).waitFor(WAIT);
  const contact = await daemon.api('GET', `/contacts/${contactId}`, 'demo-supervisor-token');
  assert.equal(contact.body.queue, 'after_hours', JSON.stringify(contact.body));
  assert.equal(contact.body.status, 'waiting', JSON.stringify(contact.body));
  assert.deepEqual(pageErrors, []);
  await page.context().close();
});

async function run(t) {
  // The supervisor opens the dashboard: nobody waits, nobody is available.
  const dashboard = await openPage('/dashboard/');
  await dashboard.getByLabel('Supervisor token').fill('demo-supervisor-token');
  await dashboard.getByRole('button', {name: 'Sign in'}).click();
  await waitCell(dashboard, 'general', 'waiting', 0);
  await dashboard.locator('[data-state="available"] .count', {hasText: /^0$/}).waitFor(WAIT);

  // Alice signs in: the socket connects and she is away ("signed-in") until she says otherwise.
  const console_ = await openPage('/console/');
  await console_.getByLabel('Access token').fill('demo-alice-token');
  await console_.getByRole('button', {name: 'Sign in'}).click();
  await console_.locator('#connection', {hasText: /^Connected$/}).waitFor(WAIT);
  await console_.locator('#presence', {hasText: /^away$/}).waitFor(WAIT);

  // A customer writes while nobody is available: the dashboard shows one waiting.
  assert.equal(await postTwilioSms(daemon.base, {sid: 'SMbrowser0001', from: '+15557654321',
                                                 body: SMS_TEXT}), 200);
  await waitCell(dashboard, 'general', 'waiting', 1);

  // Alice goes available: the offer arrives over the socket with a countdown to its expiry.
  await console_.getByRole('button', {name: 'Available'}).click();
  await console_.locator('#presence', {hasText: /^available$/}).waitFor(WAIT);
  const offer = console_.locator('#offers li.offer');
  await offer.waitFor(WAIT);
  assert.match(await offer.locator('.countdown').innerText(), /^\d+ s$/);
  await offer.locator('.preview', {hasText: SMS_TEXT}).waitFor(WAIT);  // what the customer wrote
  await offer.getByText('from +15557654321').waitFor(WAIT);             // and who they are
  await screenshot(console_, 'console-offer');
  await waitCell(dashboard, 'general', 'waiting', 0);
  await waitCell(dashboard, 'general', 'offered', 1);
  const contactId = await offer.getAttribute('data-contact');

  // She accepts; the conversation shows the customer's message from the history.
  await offer.getByRole('button', {name: 'Accept'}).click();
  await console_.locator('#thread li.in', {hasText: SMS_TEXT}).waitFor(WAIT);
  await console_.locator('#offers li.offer').waitFor({state: 'detached', ...WAIT});
  await waitCell(dashboard, 'general', 'active', 1);

  // She replies: the reply joins the thread.
  await console_.getByLabel('Reply').fill(REPLY_TEXT);
  await console_.getByRole('button', {name: 'Send reply'}).click();
  await console_.locator('#thread li.out', {hasText: REPLY_TEXT}).waitFor(WAIT);
  await screenshot(console_, 'console');
  docImage('console');
  await dashboard.locator('[data-state="available"] .count', {hasText: /^1$/}).waitFor(WAIT);
  await screenshot(dashboard, 'dashboard');
  docImage('dashboard');

  // She completes it with a wrap-up code and a note: it leaves her list and the dashboard.
  await console_.getByLabel('Wrap-up code').selectOption('resolved');
  await console_.getByLabel('Note (optional)').fill('Tracking number sent');
  await console_.getByRole('button', {name: 'Complete'}).click();
  await console_.locator('#active li').waitFor({state: 'detached', ...WAIT});
  await console_.locator('#no-active').waitFor({state: 'visible', ...WAIT});
  await waitCell(dashboard, 'general', 'active', 0);
  await screenshot(console_, 'console-done');

  const contact = await daemon.api('GET', `/contacts/${contactId}`, 'demo-supervisor-token');
  assert.equal(contact.status, 200, JSON.stringify(contact.body));
  assert.equal(contact.body.status, 'completed', JSON.stringify(contact.body));

  assert.deepEqual(pageErrors, []);
  t.diagnostic(`screenshots in ${outDir}`);
}
