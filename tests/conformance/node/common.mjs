// What the Node.js conformance clients share: settings, test data, plain HTTP (fetch), result lines
// (RESULT<TAB>cell<TAB>PASS|FAIL|SKIP<TAB>detail on stdout, read by tests/conformance/report.py).
import { createHash } from "node:crypto";

export const ENDPOINT = process.env.SLUICE_ENDPOINT;
export const ACCESS_KEY = process.env.AWS_ACCESS_KEY_ID;
export const SECRET_KEY = process.env.AWS_SECRET_ACCESS_KEY;
export const REGION = "us-east-1";
export const BUCKET = process.env.CONF_BUCKET;
export const MIB = 1024 * 1024;
export const PART = 5 * MIB;

export class Skip extends Error {}
export const na = (reason) => async () => { throw new Skip(reason); };

export async function cell(name, fn) {
  try {
    const detail = (await fn()) || "";
    console.log(`RESULT\t${name}\tPASS\t${detail}`);
  } catch (e) {
    if (e instanceof Skip) {
      console.log(`RESULT\t${name}\tSKIP\t${e.message}`);
      return;
    }
    console.error(name, e);
    const msg = `${e.name || "Error"}: ${e.message || e}`.replace(/\s+/g, " ").slice(0, 300);
    console.log(`RESULT\t${name}\tFAIL\t${msg}`);
  }
}

export function data(n, seed) {
  // deterministic bytes: SHA-256 in counter mode
  const out = Buffer.alloc(n);
  let off = 0;
  for (let i = 0; off < n; i++) {
    const block = createHash("sha256").update(`${seed}/${i}`).digest();
    off += block.copy(out, off);
  }
  return out;
}

const short = (b) => createHash("sha256").update(b).digest("hex").slice(0, 16);
export function check(cond, msg) {
  if (!cond) throw new Error(msg);
}
export function same(got, want, what) {
  got = Buffer.from(got);
  check(got.equals(want), `${what}: got ${got.length} bytes sha ${short(got)}, want ${want.length} bytes sha ${short(want)}`);
}

export async function http(method, url, body, headers = {}) {
  const r = await fetch(url, { method, body, headers });
  return { status: r.status, headers: r.headers, body: Buffer.from(await r.arrayBuffer()) };
}
export async function httpOk(method, url, body, headers = {}) {
  const r = await http(method, url, body, headers);
  check(r.status >= 200 && r.status < 300, `${method} ${url.split("?")[0]} -> ${r.status}: ${r.body.toString().slice(0, 300)}`);
  return r;
}

export async function presignedPut(presign, get, key, { signCt = true } = {}) {
  const ct = "text/plain";
  const body = data(1000, key);
  const url = await presign(key, ct);
  let note = "";
  if (signCt === "query") {
    // aws-sdk v2 signs Content-Type as a query parameter (Content-Type=...), not as a signed header
    check(new URL(url).searchParams.get("Content-Type") === ct, `Content-Type not in the query of ${url}`);
    note = "Content-Type signed as a query parameter, so the upload's header is not enforced";
  } else if (signCt) {
    const signed = new URL(url).searchParams.get("X-Amz-SignedHeaders") || "";
    check(signed.split(";").includes("content-type"), `content-type not in X-Amz-SignedHeaders of ${url}`);
    const bad = await http("PUT", url, body, { "Content-Type": "application/octet-stream" });
    check(bad.status === 403, `PUT with another Content-Type than signed -> ${bad.status}, want 403`);
  }
  await httpOk("PUT", url, body, { "Content-Type": ct });
  const [got, gotCt] = await get(key);
  same(got, body, "read back");
  check(gotCt === ct, `content-type read back ${gotCt}, want ${ct}`);
  return [note, url.includes("x-id=") ? "x-id in URL" : ""].filter(Boolean).join("; ");
}

export async function presignedGet(put, presign, key) {
  const body = data(777, key);
  await put(key, body);
  const r = await httpOk("GET", await presign(key));
  same(r.body, body, "presigned GET body");
  return "";
}

export async function presignedMultipart(create, presignPart, presignComplete, get, key) {
  const parts = [data(PART, key + "1"), data(MIB + 3, key + "2")];
  const id = await create(key);
  let xml = "<CompleteMultipartUpload>";
  for (let i = 0; i < parts.length; i++) {
    const r = await httpOk("PUT", await presignPart(key, id, i + 1), parts[i]);
    check(r.headers.get("etag"), "UploadPart answer has no ETag");
    xml += `<Part><PartNumber>${i + 1}</PartNumber><ETag>${r.headers.get("etag")}</ETag></Part>`;
  }
  xml += "</CompleteMultipartUpload>";
  const done = await httpOk("POST", await presignComplete(key, id), xml);
  check(done.body.includes("CompleteMultipartUploadResult"), `complete answered ${done.body.toString().slice(0, 300)}`);
  const [got] = await get(key);
  same(got, Buffer.concat(parts), "assembled object");
  return "";
}
