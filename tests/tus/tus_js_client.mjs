// Drives tus-js-client (the tus JavaScript client, not written here) in Node for
// crates/sluice/tests/tus_clients.rs.
//
// Usage: node tus_js_client.mjs CREATION_URL FILE FILETYPE
//
// Uploads FILE through the presigned tus creation URL in 8 MiB PATCHes. At a quarter of the
// file it aborts the upload (the connection is cut mid-PATCH) and starts it again: the client
// asks the server for the offset (HEAD) and goes on. Past half of the file it prints `PROGRESS`
// (the test then SIGKILLs the server); on the error it prints `FAILED URL`, reads `GO BASE`
// from stdin (the restarted server) and resumes the same upload there. Prints `DONE URL`.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import * as tus from 'tus-js-client';

const [creationUrl, path, filetype] = process.argv.slice(2);
const data = readFileSync(path);
const say = (...words) => process.stdout.write(words.join(' ') + '\n');
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

const options = {
  chunkSize: 8 * 1024 * 1024,
  metadata: { filename: basename(path), filetype },
  retryDelays: null,
  storeFingerprintForResuming: false,
};

function run(opts, onProgress) {
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(data, {
      ...options,
      ...opts,
      onProgress: (sent, total) => onProgress(upload, sent, total),
      onSuccess: () => resolve(upload),
      onError: (err) => reject(Object.assign(err, { upload })),
    });
    upload.start();
  });
}

let cut = false;
let killed = false;
let done;
try {
  done = await run({ endpoint: creationUrl }, (upload, sent, total) => {
    if (!cut && sent > total / 4) {
      cut = true;
      // Cut the connection mid-PATCH, then start again: tus-js-client resumes with a HEAD.
      upload.abort().then(() => {
        say('CUT', upload.url, sent);
        upload.start();
      });
    } else if (cut && !killed && sent > total / 2) {
      killed = true;
      say('PROGRESS', sent);
    }
  });
} catch (err) {
  const url = err.upload.url;
  say('FAILED', url, String(err.message).split('\n')[0]);
  const base = (await lines.next()).value.split(' ')[1];
  const resumeUrl = base + new URL(url).pathname;
  done = await run({ uploadUrl: resumeUrl }, () => {});
}
say('DONE', done.url);
process.exit(0);
