// End-to-end test of the Sluice web console in headless Chromium (Debian's chromium driven by
// playwright-core). Starts the real `sluice` binary (SLUICE_BIN, default target/debug/sluice)
// with a fresh data dir, an S3 listener and a console listener on free loopback ports, and:
// logs in, creates a bucket, mints URLs in the console, uploads by drag and drop from the
// console (another origin than the S3 listener, so through CORS) with a single PUT and with a
// multipart bundle, uses a minted URL from a third origin, finds the objects in the listing and
// by GET, checks the CSRF refusal and logout, and uploads anonymously through a share link.
// Screenshots go to target/browser-screenshots/. Exits non-zero on any failure.

import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const bin = process.env.SLUICE_BIN || path.join(repo, 'target', 'debug', 'sluice');
const shots = path.join(repo, 'target', 'browser-screenshots');
const AK = 'AKIDBROWSERTEST00001';
const SK = 'browser/test/secret/0123456789abcdefghij';

const cleanups = [];
let step = 'setup';
const log = (msg) => console.log(`[browser] ${msg}`);
const check = (cond, msg) => { if (!cond) throw new Error(`check failed: ${msg}`); };

const freePort = () => new Promise((resolve, reject) => {
  const s = net.createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

async function waitFor(url, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    try { const r = await fetch(url, { redirect: 'manual' }); if (r.status < 500) return; } catch { /* not up yet */ }
    if (Date.now() > end) throw new Error(`${url} did not come up`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startSluice(s3Port, consolePort, otherOrigin) {
  check(fs.existsSync(bin), `sluice binary not found at ${bin} (build it or set SLUICE_BIN)`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-browser-data-'));
  cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const consoleOrigin = `http://127.0.0.1:${consolePort}`;
  const args = ['serve', '--data-dir', dataDir, '--listen', `127.0.0.1:${s3Port}`,
    '--console-listen', `127.0.0.1:${consolePort}`, '--root-access-key', AK, '--root-secret-key', SK,
    '--cors-allow-origin', consoleOrigin, '--cors-allow-origin', otherOrigin];
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: 'warn' } });
  let output = '';
  proc.stdout.on('data', (d) => { output += d; });
  proc.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
  cleanups.push(async () => { proc.kill('SIGTERM'); await exited; });
  const up = waitFor(`${consoleOrigin}/login`);
  const code = await Promise.race([up.then(() => null), exited]);
  if (code !== null) throw new Error(`sluice exited with ${code} before serving:\n${output}`);
  // The console serves as soon as it is bound; the CLI prints its URL a moment later.
  const printedBy = Date.now() + 5000;
  while (!output.includes(`web console on ${consoleOrigin}/`) && Date.now() < printedBy) {
    await new Promise((r) => setTimeout(r, 50));
  }
  check(output.includes(`web console on ${consoleOrigin}/`), `startup prints the console URL:\n${output}`);
  return { consoleOrigin, s3Origin: `http://127.0.0.1:${s3Port}` };
}

// A third origin: a plain page that uploads to a presigned URL with XHR.
function startOtherOrigin(port) {
  const page = `<!doctype html><html><head><meta charset="utf-8"><title>Another origin</title></head>
<body><h1>Another origin</h1><progress id="p" max="100" value="0"></progress><span id="pct">0%</span><p id="st"></p></body></html>`;
  const server = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(page); });
  cleanups.push(() => new Promise((r) => server.close(r)));
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(`http://127.0.0.1:${port}`)));
}

// Drops a generated file onto the page's #dropzone through a DataTransfer built in the page.
async function dropFile(page, name, size, fill) {
  await page.evaluate(({ name, size, fill }) => {
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = fill.charCodeAt(i % fill.length);
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], name, { type: 'text/plain' }));
    const zone = document.getElementById('dropzone');
    zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, { name, size, fill });
}

async function waitUploaded(page, name) {
  await page.waitForFunction(() => {
    const s = document.getElementById('upload-status');
    return s && (s.classList.contains('done') || s.classList.contains('failed'));
  }, null, { timeout: 60000 });
  const status = await page.textContent('#upload-status');
  check(status.startsWith(`Done: ${name}`), `upload of ${name} finished: ${status}`);
  check((await page.textContent('#percent')) === '100%', 'the progress text reads 100%');
  check(await page.$eval('#progress', (p) => p.value) === 100, 'the progress bar is full');
}

async function mintInConsole(page, consoleOrigin, method, bucket, key, extra = {}) {
  await page.goto(`${consoleOrigin}/presign?method=${method}&bucket=${bucket}&key=${encodeURIComponent(key)}`);
  for (const [field, value] of Object.entries(extra)) await page.fill(`#${field}`, value);
  await Promise.all([page.waitForNavigation(), page.click('#presign-form button[type=submit]')]);
  const url = await page.inputValue('#presigned-url');
  check(url.startsWith('http://127.0.0.1:'), `a presigned URL is shown: ${url}`);
  return url;
}

async function main() {
  fs.mkdirSync(shots, { recursive: true });
  const [s3Port, consolePort, otherPort] = [await freePort(), await freePort(), await freePort()];
  const otherOrigin = `http://127.0.0.1:${otherPort}`;
  const { consoleOrigin, s3Origin } = await startSluice(s3Port, consolePort, otherOrigin);
  await startOtherOrigin(otherPort);
  log(`sluice S3 ${s3Origin}, console ${consoleOrigin}, other origin ${otherOrigin}`);

  const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-browser-profile-'));
  cleanups.push(() => fs.rmSync(userData, { recursive: true, force: true }));
  const context = await chromium.launchPersistentContext(userData, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1200, height: 800 },
  });
  cleanups.push(() => context.close());
  const page = context.pages()[0] || await context.newPage();
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });

  step = 'login refused';
  await page.goto(`${consoleOrigin}/`);
  check(page.url() === `${consoleOrigin}/login`, 'not logged in: redirected to /login');
  await page.screenshot({ path: path.join(shots, 'login.png') });
  await page.fill('#access_key_id', AK);
  await page.fill('#secret_access_key', 'not-the-secret');
  await Promise.all([page.waitForNavigation(), page.click('#login-form button')]);
  check((await page.textContent('#error')).includes('Wrong access key id or secret'), 'wrong secret refused');

  step = 'login';
  await page.fill('#access_key_id', AK);
  await page.fill('#secret_access_key', SK);
  await Promise.all([page.waitForNavigation(), page.click('#login-form button')]);
  check(page.url() === `${consoleOrigin}/`, `logged in lands on the bucket list (${page.url()})`);
  const cookies = await context.cookies(consoleOrigin);
  const session = cookies.find((c) => c.name === 'sluice_session');
  check(session && session.httpOnly && session.sameSite === 'Strict', 'session cookie is HttpOnly, SameSite=Strict');
  check(await page.evaluate(() => document.cookie.includes('sluice_session')) === false, 'scripts cannot read the session cookie');

  step = 'create bucket';
  await page.fill('#bucket-name', 'photos');
  await Promise.all([page.waitForNavigation(), page.click('#create-bucket button')]);
  check(page.url().endsWith('/objects?bucket=photos'), 'bucket created, showing its objects');
  await page.goto(`${consoleOrigin}/`);
  check((await page.textContent('#buckets')).includes('photos'), 'bucket listed');
  await page.screenshot({ path: path.join(shots, 'buckets.png') });

  step = 'drag and drop upload (single PUT, cross-origin)';
  await page.goto(`${consoleOrigin}/upload?bucket=photos&prefix=dropped/`);
  await dropFile(page, 'hello.txt', 300 * 1024, 'hello sluice ');
  await waitUploaded(page, 'hello.txt');
  await page.screenshot({ path: path.join(shots, 'upload.png') });

  step = 'drag and drop upload (multipart bundle, cross-origin)';
  await page.goto(`${consoleOrigin}/upload?bucket=photos&prefix=dropped/`);
  await dropFile(page, 'big.bin', 17 * 1024 * 1024 + 5, 'multipart ');
  await waitUploaded(page, 'big.bin');

  step = 'object listing';
  await page.goto(`${consoleOrigin}/objects?bucket=photos`);
  check((await page.textContent('#objects')).includes('dropped/'), 'folder shown');
  await Promise.all([page.waitForNavigation(), page.click('text=dropped/')]);
  const listing = await page.textContent('#objects');
  check(listing.includes('hello.txt') && listing.includes('300.0 KiB'), `hello.txt listed with its size: ${listing}`);
  check(listing.includes('big.bin') && listing.includes('17.0 MiB'), `big.bin listed with its size: ${listing}`);
  await page.screenshot({ path: path.join(shots, 'objects.png') });

  step = 'presigned GET minted in the console';
  const getUrl = await mintInConsole(page, consoleOrigin, 'GET', 'photos', 'dropped/hello.txt');
  await page.screenshot({ path: path.join(shots, 'presign.png') });
  await page.click('button.copy');
  await page.waitForSelector('.copied:not([hidden])', { timeout: 5000 });
  const got = await (await fetch(getUrl)).text();
  check(got.length === 300 * 1024 && got.startsWith('hello sluice hello'), 'GET returns the dropped bytes');
  const bigHead = await fetch(await mintInConsole(page, consoleOrigin, 'GET', 'photos', 'dropped/big.bin'));
  check(Number(bigHead.headers.get('content-length')) === 17 * 1024 * 1024 + 5, 'multipart object has the file size');

  step = 'presigned PUT used from a third origin';
  const putUrl = await mintInConsole(page, consoleOrigin, 'PUT', 'photos', 'other-origin.txt', { max_size: '1MiB' });
  const other = await context.newPage();
  await other.goto(otherOrigin);
  const result = await other.evaluate((url) => new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    xhr.upload.onprogress = (e) => {
      const p = Math.floor((e.loaded / e.total) * 100);
      document.getElementById('p').value = p;
      document.getElementById('pct').textContent = p + '%';
    };
    xhr.onload = () => { document.getElementById('st').textContent = 'done ' + xhr.status; resolve({ status: xhr.status, etag: xhr.getResponseHeader('ETag') }); };
    xhr.onerror = () => resolve({ status: 0 });
    xhr.send(new Blob([new Uint8Array(200 * 1024).fill(65)]));
  }), putUrl);
  check(result.status === 200, `cross-origin PUT from ${otherOrigin} succeeded: ${JSON.stringify(result)}`);
  check(result.etag && result.etag.startsWith('"'), 'ETag exposed to the other origin');
  check((await other.textContent('#pct')) === '100%', 'other-origin progress reached 100%');
  await other.screenshot({ path: path.join(shots, 'other-origin.png') });
  await other.close();

  step = 'share link';
  await page.goto(`${consoleOrigin}/share?bucket=photos&prefix=shared/`);
  await page.fill('#share-max-uses', '3');
  await Promise.all([page.waitForNavigation(), page.click('#share-form button[type=submit]')]);
  const shareUrl = await page.inputValue('#share-url');
  check(shareUrl.startsWith(`${consoleOrigin}/s/`), `share URL shown: ${shareUrl}`);
  await page.screenshot({ path: path.join(shots, 'share.png') });

  step = 'CSRF refusal';
  const csrf = await page.evaluate(async () => {
    const post = (body) => fetch('/buckets', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body, redirect: 'manual' });
    const missing = await post('name=evil-one');
    const wrong = await post('csrf=' + '0'.repeat(64) + '&name=evil-two');
    const json = await fetch('/api/upload-url', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"bucket":"photos","key":"x","size":1}' });
    return [missing.status, wrong.status, json.status, await missing.text()];
  });
  check(csrf[0] === 403 && csrf[1] === 403 && csrf[2] === 403, `POSTs without the CSRF token refused: ${csrf.slice(0, 3)}`);
  await page.setContent(csrf[3]);
  await page.screenshot({ path: path.join(shots, 'csrf-refused.png') });
  await page.goto(`${consoleOrigin}/`);
  check(!(await page.textContent('#buckets')).includes('evil'), 'no bucket created by the refused POSTs');

  step = 'logout';
  await Promise.all([page.waitForNavigation(), page.click('#logout')]);
  check(page.url() === `${consoleOrigin}/login`, 'logout lands on the login page');
  await page.goto(`${consoleOrigin}/`);
  check(page.url() === `${consoleOrigin}/login`, 'after logout the console asks to log in again');

  step = 'share link page (anonymous)';
  await context.clearCookies();
  await page.goto(shareUrl);
  check((await page.textContent('main')).includes('photos/shared/'), 'share page names its target');
  await page.screenshot({ path: path.join(shots, 'share-page.png') });
  await dropFile(page, 'from-a-guest.txt', 50 * 1024, 'guest ');
  await waitUploaded(page, 'from-a-guest.txt');
  await page.screenshot({ path: path.join(shots, 'share-page-done.png') });
  const tampered = shareUrl.slice(0, -3) + (shareUrl.endsWith('AAA') ? 'BBB' : 'AAA');
  const refused = await page.goto(tampered);
  check(refused.status() === 403, `tampered share link refused (${refused.status()})`);

  step = 'shared upload listed';
  await page.goto(`${consoleOrigin}/login`);
  await page.fill('#access_key_id', AK);
  await page.fill('#secret_access_key', SK);
  await Promise.all([page.waitForNavigation(), page.click('#login-form button')]);
  await page.goto(`${consoleOrigin}/objects?bucket=photos&prefix=shared/`);
  check((await page.textContent('#objects')).includes('from-a-guest.txt'), 'the guest upload is listed');

  const cspErrors = consoleErrors.filter((e) => /Content Security Policy|CORS/i.test(e));
  check(cspErrors.length === 0, `no CSP or CORS errors in the console pages: ${cspErrors.join(' | ')}`);
  log(`all checks passed; screenshots in ${path.relative(repo, shots)}/`);
}

let failed = false;
try {
  await main();
} catch (e) {
  failed = true;
  console.error(`[browser] FAILED at step "${step}": ${e.stack || e}`);
} finally {
  for (const c of cleanups.reverse()) {
    try { await c(); } catch { /* best effort */ }
  }
}
process.exit(failed ? 1 : 0);
