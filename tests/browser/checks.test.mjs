// Verified uploads in headless Chromium (issue 23): a page on another origin uploads through
// presigned URLs that carry a check profile (signed x-sluice-checks) and reads the refusal the
// way an app would: status 403, and the S3 error XML's Code and Message, readable through CORS.
// Starts the real `sluice` binary (SLUICE_BIN, default target/debug/sluice); defines the profile
// and mints the URLs with the `sluice` CLI. Exits non-zero on any failure.

import { chromium } from 'playwright-core';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const bin = process.env.SLUICE_BIN || path.join(repo, 'target', 'debug', 'sluice');
const AK = 'AKIDBROWSERTEST00001';
const SK = 'browser/test/secret/0123456789abcdefghij';

const cleanups = [];
const log = (msg) => console.log(`[browser checks] ${msg}`);
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

async function main() {
  check(fs.existsSync(bin), `sluice binary not found at ${bin}`);
  const [s3Port, pagePort] = [await freePort(), await freePort()];
  const pageOrigin = `http://127.0.0.1:${pagePort}`;
  const s3Origin = `http://127.0.0.1:${s3Port}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-browser-checks-'));
  cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const proc = spawn(bin, ['serve', '--data-dir', dataDir, '--listen', `127.0.0.1:${s3Port}`,
    '--root-access-key', AK, '--root-secret-key', SK, '--cors-allow-origin', pageOrigin],
  { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: 'warn' } });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  cleanups.push(async () => { proc.kill('SIGTERM'); await exited; });
  await waitFor(`${s3Origin}/_sluice/health/live`);

  const page = `<!doctype html><html><head><meta charset="utf-8"><title>Uploader</title></head><body></body></html>`;
  const server = http.createServer((_, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(page); });
  cleanups.push(() => new Promise((r) => server.close(r)));
  await new Promise((r) => server.listen(pagePort, '127.0.0.1', r));

  // Bucket (a header-signed CreateBucket), profile, and two URLs: one minted offline, one
  // through the mint API with a use limit.
  const created = await signedRequest(s3Origin, 'PUT', '/photos');
  check(created.status === 200, `CreateBucket: ${created.status}`);
  const profile = path.join(dataDir, 'images.json');
  fs.writeFileSync(profile, JSON.stringify({ sniff: { allow: ['image/png'] }, image: { max_pixels: 1000000 } }));
  cli(s3Origin, ['admin', 'checks', 'set', 'images', profile]);
  const offline = cli(s3Origin, ['presign', '--method', 'PUT', '--checks', 'images', 's3://photos/avatar.png']);
  const minted = cli(s3Origin, ['presign', '--method', 'PUT', '--checks', 'images', '--max-uses', '1',
    's3://photos/minted.png']);
  check(offline.includes('x-sluice-checks=images') && minted.includes('x-sluice-checks=images'), 'URLs carry the profile');

  const context = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-browser-profile-')), {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  cleanups.push(() => context.close());
  const tab = context.pages()[0] || await context.newPage();
  await tab.goto(pageOrigin);

  // What the page does: PUT the file, and on failure read the reason from the error XML.
  const upload = (url, bytes, type) => tab.evaluate(async ({ url, bytes, type }) => {
    const r = await fetch(url, { method: 'PUT', body: new Uint8Array(bytes), headers: { 'content-type': type } });
    const text = await r.text();
    const xml = new DOMParser().parseFromString(text, 'application/xml');
    return { status: r.status, code: xml.querySelector('Code')?.textContent ?? null,
      message: xml.querySelector('Message')?.textContent ?? null };
  }, { url, bytes, type });

  const elf = [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, ...new Array(8).fill(0), 2, 0, 0x3e, 0, ...new Array(100).fill(0x90)];
  const png = (w, h) => {
    const be = (n) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
    return [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
      ...be(w), ...be(h), 8, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0, 0, 0, 0];
  };

  let r = await upload(offline, elf, 'image/png');
  log(`renamed executable: ${JSON.stringify(r)}`);
  check(r.status === 403 && r.code === 'UploadRejected', 'an executable sent as image/png is refused');
  check(r.message.startsWith('rejected by sniff: detected application/x-executable'), `the page reads the reason: ${r.message}`);
  r = await upload(offline, png(100000, 100000), 'image/png');
  log(`bomb header: ${JSON.stringify(r)}`);
  check(r.status === 403 && r.message.includes('100000x100000'), 'a decompression bomb header is refused');
  r = await upload(offline, png(64, 64), 'image/png');
  check(r.status === 200, `a real PNG goes through: ${JSON.stringify(r)}`);
  // A use-limited URL: the refusal spends nothing, the PNG after it succeeds.
  r = await upload(minted, elf, 'image/png');
  check(r.status === 403 && r.code === 'UploadRejected', 'refused through the minted URL');
  r = await upload(minted, png(8, 8), 'image/png');
  check(r.status === 200, `the grant's one use was not spent by the refusal: ${JSON.stringify(r)}`);
  log('ok');
}

/** A SigV4 header-signed request with the root key and an empty body. */
async function signedRequest(origin, method, pathName) {
  const { createHash, createHmac } = await import('node:crypto');
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
