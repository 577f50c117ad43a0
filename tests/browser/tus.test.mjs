// Resumable uploads in headless Chromium (issue 24), from a page on another origin, through creation
// URLs from `sluice presign --tus`:
// - tus-js-client (its browser build) in 1 MiB PATCHes; the upload is aborted mid-way (the
//   connection cut), the page reloaded, and the upload found again from the browser's stored
//   fingerprint and resumed from the offset the server reports;
// - Uppy with @uppy/tus (the `uppy` bundle), the creation URL handed to the file in a preprocessor
//   as docs/resumable-uploads.md shows; paused mid-upload (the PATCH aborted) and resumed.
// Each object then reads back byte-exact with its MD5 ETag and Content-Type. Starts the real
// `sluice` binary (SLUICE_BIN, default target/debug/sluice); needs tests/tus/node_modules (npm ci in
// tests/tus). Exits non-zero on any failure.

import { chromium } from 'playwright-core';
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const bin = process.env.SLUICE_BIN || path.join(repo, 'target', 'debug', 'sluice');
const tusJs = path.join(repo, 'tests', 'tus', 'node_modules', 'tus-js-client', 'dist', 'tus.min.js');
const uppyJs = path.join(here, 'node_modules', 'uppy', 'dist', 'uppy.min.js');
const AK = 'AKIDBROWSERTUS000001';
const SK = 'browser/tus/secret/0123456789abcdefghijk';
const SIZE = 6 * 1024 * 1024;

const cleanups = [];
const log = (msg) => console.log(`[browser tus] ${msg}`);
const check = (cond, msg) => { if (!cond) throw new Error(`check failed: ${msg}`); };

const freePort = () => new Promise((resolve, reject) => {
  const s = net.createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

async function waitFor(url, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    try { const r = await fetch(url); if (r.status < 500) return; } catch { /* not up yet */ }
    if (Date.now() > end) throw new Error(`${url} did not come up`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function cli(s3Origin, args) {
  return execFileSync(bin, args, {
    env: { ...process.env, AWS_ACCESS_KEY_ID: AK, AWS_SECRET_ACCESS_KEY: SK, AWS_ENDPOINT_URL: s3Origin,
      AWS_REGION: 'us-east-1', HOME: '/nonexistent-home' },
    encoding: 'utf8',
  }).trim();
}

/** The file's bytes, the same in Node and in the page. */
function bytes() {
  const b = new Uint8Array(SIZE);
  let x = 2463534242;
  for (let i = 0; i < SIZE; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; b[i] = x & 255; }
  return b;
}

// Runs in the page: build the same file, upload it; abort after `abortAt` bytes, or resume a
// stored upload when `resume` is set. Returns what happened.
const pageUpload = ({ endpoint, size, abortAt, resume }) => new Promise((resolve, reject) => {
  const b = new Uint8Array(size);
  let x = 2463534242;
  for (let i = 0; i < size; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; b[i] = x & 255; }
  const file = new File([b], 'clip.bin', { type: 'application/octet-stream', lastModified: 1700000000000 });
  const upload = new window.tus.Upload(file, {
    endpoint,
    chunkSize: 1024 * 1024,
    metadata: { filename: file.name, filetype: 'video/mp4' },
    retryDelays: null,
    onProgress: (sent) => {
      if (abortAt && sent >= abortAt) {
        abortAt = 0;
        upload.abort().then(() => resolve({ aborted: true, url: upload.url, sent }));
      }
    },
    onSuccess: () => resolve({ done: true, url: upload.url }),
    onError: (e) => reject(new Error(String(e))),
  });
  if (!resume) { upload.start(); return; }
  upload.findPreviousUploads().then((previous) => {
    if (!previous.length) { reject(new Error('no previous upload stored')); return; }
    upload.resumeFromPreviousUpload(previous[0]);
    upload.start();
  });
});

// Runs in the page: Uppy + @uppy/tus uploads the same file; paused (its PATCH aborted) past 2 MiB
// and resumed 300 ms later.
const uppyUpload = ({ endpoint, size }) => new Promise((resolve, reject) => {
  const b = new Uint8Array(size);
  let x = 2463534242;
  for (let i = 0; i < size; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; b[i] = x & 255; }
  const { Uppy, Tus } = window.Uppy;
  const uppy = new Uppy({ autoProceed: false });
  uppy.use(Tus, { endpoint: 'about:blank', chunkSize: 1024 * 1024, retryDelays: [0, 500, 1000] });
  uppy.addPreProcessor(async (ids) => { for (const id of ids) uppy.setFileState(id, { tus: { endpoint } }); });
  const id = uppy.addFile({ name: 'uppy.bin', type: 'video/mp4', data: new Blob([b], { type: 'video/mp4' }) });
  let paused = false;
  uppy.on('upload-progress', (_file, p) => {
    if (!paused && p.bytesUploaded >= 2 * 1024 * 1024) {
      paused = true;
      uppy.pauseResume(id);
      setTimeout(() => uppy.pauseResume(id), 300);
    }
  });
  uppy.upload().then((result) => resolve({
    ok: result.successful.length === 1, paused,
    failed: result.failed.map((f) => String(f.error)), url: result.successful[0]?.uploadURL,
  }), reject);
});

async function verify(s3Origin, key, type) {
  const get = cli(s3Origin, ['presign', '--method', 'GET', `s3://media/${key}`]);
  const r = await fetch(get);
  check(r.status === 200, `GET ${key}: ${r.status}`);
  const got = new Uint8Array(await r.arrayBuffer());
  const want = bytes();
  check(got.length === want.length && Buffer.compare(Buffer.from(got), Buffer.from(want)) === 0, `${key} byte-exact`);
  const md5 = createHash('md5').update(want).digest('hex');
  check(r.headers.get('etag') === `"${md5}"`, `${key} MD5 ETag: ${r.headers.get('etag')}`);
  check(r.headers.get('content-type') === type, `${key} Content-Type: ${r.headers.get('content-type')}`);
}

async function main() {
  check(fs.existsSync(bin), `sluice binary not found at ${bin}`);
  check(fs.existsSync(tusJs), `${tusJs} missing (npm ci in tests/tus)`);
  check(fs.existsSync(uppyJs), `${uppyJs} missing (npm ci in tests/browser)`);
  const [s3Port, pagePort] = [await freePort(), await freePort()];
  const pageOrigin = `http://127.0.0.1:${pagePort}`;
  const s3Origin = `http://127.0.0.1:${s3Port}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-browser-tus-'));
  cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const proc = spawn(bin, ['serve', '--data-dir', dataDir, '--listen', `127.0.0.1:${s3Port}`,
    '--root-access-key', AK, '--root-secret-key', SK],
  { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: 'warn' } });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  cleanups.push(async () => { proc.kill('SIGTERM'); await exited; });
  await waitFor(`${s3Origin}/_sluice/health/live`);

  const page = '<!doctype html><html><head><meta charset="utf-8"><title>tus</title>'
    + '<script src="/tus.min.js"></script><script src="/uppy.min.js"></script></head><body></body></html>';
  const scripts = { '/tus.min.js': fs.readFileSync(tusJs), '/uppy.min.js': fs.readFileSync(uppyJs) };
  const server = http.createServer((req, res) => {
    if (scripts[req.url]) { res.writeHead(200, { 'content-type': 'text/javascript' }); res.end(scripts[req.url]); return; }
    res.writeHead(200, { 'content-type': 'text/html' }); res.end(page);
  });
  cleanups.push(() => new Promise((r) => server.close(r)));
  await new Promise((r) => server.listen(pagePort, '127.0.0.1', r));

  const created = await signedRequest(s3Origin, 'PUT', '/media');
  check(created.status === 200, `CreateBucket: ${created.status}`);
  // No CORS configuration: tus URLs are capabilities and answer any origin.
  const endpoint = cli(s3Origin, ['presign', '--tus', '--expires-in', '1h', '--max-uses', '1',
    '--content-type', 'video/mp4', 's3://media/browser/${filename}']);

  const context = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-browser-profile-')), {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  cleanups.push(() => context.close());
  const tab = context.pages()[0] || await context.newPage();
  await tab.goto(pageOrigin);

  const first = await tab.evaluate(pageUpload, { endpoint, size: SIZE, abortAt: 2 * 1024 * 1024, resume: false });
  log(`aborted: ${JSON.stringify(first)}`);
  check(first.aborted && first.url.includes('/_sluice/tus/u/'), 'the upload started and was cut');
  const head = await fetch(first.url, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0' } });
  const offset = Number(head.headers.get('upload-offset'));
  check(offset > 0 && offset < SIZE, `a durable offset after the cut: ${offset}`);

  // A reload: the page finds the upload in its storage and resumes it (one use: a new creation would fail).
  await tab.reload();
  const second = await tab.evaluate(pageUpload, { endpoint, size: SIZE, abortAt: 0, resume: true });
  log(`resumed: ${JSON.stringify(second)}`);
  check(second.done && second.url === first.url, 'the same upload finished');

  await verify(s3Origin, 'browser/clip.bin', 'video/mp4');

  // Uppy with @uppy/tus, paused and resumed mid-upload.
  const uppyEndpoint = cli(s3Origin, ['presign', '--tus', '--expires-in', '1h', '--max-uses', '1',
    's3://media/uppy/${filename}']);
  const third = await tab.evaluate(uppyUpload, { endpoint: uppyEndpoint, size: SIZE });
  log(`uppy: ${JSON.stringify(third)}`);
  check(third.ok && third.paused && third.url.includes('/_sluice/tus/u/'), 'Uppy paused, resumed and finished');
  await verify(s3Origin, 'uppy/uppy.bin', 'video/mp4');
  log('ok');
}

/** A SigV4 header-signed request with the root key and an empty body. */
async function signedRequest(origin, method, pathName) {
  const { createHmac } = await import('node:crypto');
  const host = new URL(origin).host;
  const now = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const date = now.slice(0, 8);
  const empty = createHash('sha256').update('').digest('hex');
  const canonical = [method, pathName, '', `host:${host}`, `x-amz-content-sha256:${empty}`, `x-amz-date:${now}`, '',
    'host;x-amz-content-sha256;x-amz-date', empty].join('\n');
  const scope = `${date}/us-east-1/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', now, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  const hmac = (k, v) => createHmac('sha256', k).update(v).digest();
  const key = ['us-east-1', 's3', 'aws4_request'].reduce(hmac, hmac(`AWS4${SK}`, date));
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  return fetch(`${origin}${pathName}`, { method, headers: {
    'x-amz-date': now, 'x-amz-content-sha256': empty,
    authorization: `AWS4-HMAC-SHA256 Credential=${AK}/${scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${signature}`,
  } });
}

main().catch((e) => { console.error(e); process.exitCode = 1; }).finally(async () => {
  for (const c of cleanups.reverse()) { try { await c(); } catch { /* best effort */ } }
});
