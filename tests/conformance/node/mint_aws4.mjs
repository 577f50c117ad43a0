// Sluice's JSON API called with the `aws4` npm package, the generic SigV4 signer many Node backends use
// (issue 20 item 15): mint a URL, upload through it, read the grants; a changed body or secret is refused.
// For service "s3" aws4 adds x-amz-content-sha256 itself, so the first cells take the path S3 signers take; the
// last signs with `doNotModifyHeaders` (aws4 then adds no header), the header-less request the server hashes.
import aws4 from "aws4";
import { ACCESS_KEY, BUCKET, ENDPOINT, REGION, SECRET_KEY, cell } from "./common.mjs";

const bucket = `${BUCKET}-aws4`;
const url = new URL(ENDPOINT);

async function signed(method, path, body, { secret = SECRET_KEY, tamper = false, service = "s3" } = {}) {
  const opts = aws4.sign(
    { host: url.host, path, method, service, region: REGION, body, headers: body ? { "Content-Type": "application/json" } : {} },
    { accessKeyId: ACCESS_KEY, secretAccessKey: secret },
  );
  const res = await fetch(`${ENDPOINT}${path}`, { method, headers: opts.headers, body: tamper ? body.replace("\"x\"", "\"y\"") : body });
  return { status: res.status, text: await res.text() };
}

function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

await cell("mint_aws4", async () => {
  // The bucket, made with a plain S3 call signed by aws4 too.
  const made = await signed("PUT", `/${bucket}`, undefined);
  check(made.status === 200, `CreateBucket answered ${made.status}: ${made.text}`);
  const body = JSON.stringify({ bucket, key: "via-aws4.txt", method: "PUT", expires_in: 300 });
  const minted = await signed("POST", "/_sluice/v1/presign", body);
  check(minted.status === 200, `mint answered ${minted.status}: ${minted.text}`);
  const put = await fetch(JSON.parse(minted.text).url, { method: "PUT", body: "uploaded through an aws4-minted URL" });
  check(put.status === 200, `PUT through the minted URL answered ${put.status}`);
  const got = await signed("GET", `/${bucket}/via-aws4.txt`, undefined);
  check(got.text === "uploaded through an aws4-minted URL", `read back ${got.text}`);
  const grants = await signed("GET", "/_sluice/v1/grants", undefined);
  check(grants.status === 200, `GET grants answered ${grants.status}: ${grants.text}`);
});

await cell("mint_aws4_body_bound", async () => {
  const body = JSON.stringify({ bucket, key: "x", method: "PUT" });
  const tampered = await signed("POST", "/_sluice/v1/presign", body, { tamper: true });
  check(tampered.status === 400 && tampered.text.includes("XAmzContentSHA256Mismatch"), `a changed body answered ${tampered.status}: ${tampered.text}`);
  const wrong = await signed("POST", "/_sluice/v1/presign", body, { secret: "wrong-secret" });
  check(wrong.status === 403 && wrong.text.includes("SignatureDoesNotMatch"), `a wrong secret answered ${wrong.status}: ${wrong.text}`);
});

// aws4 with doNotModifyHeaders sends only the headers it was given (here Content-Type and X-Amz-Date) plus Host:
// no x-amz-content-sha256. The signature still covers the body's SHA-256, which the server computes itself.
async function signedBare(method, path, body, { tamper = false } = {}) {
  const headers = { "Content-Type": "application/json" };
  const signer = new aws4.RequestSigner(
    { host: url.host, path, method, service: "s3", region: REGION, body, headers, doNotModifyHeaders: true },
    { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
  );
  const amzDate = new Date().toISOString().replace(/[:\-]|\.\d{3}/g, "");
  signer.datetime = amzDate;
  signer.request.headers["X-Amz-Date"] = amzDate;
  const opts = signer.sign();
  const names = Object.keys(opts.headers).map((h) => h.toLowerCase());
  check(!names.includes("x-amz-content-sha256"), `aws4 sent x-amz-content-sha256: ${names}`);
  const res = await fetch(`${ENDPOINT}${path}`, { method, headers: opts.headers, body: tamper ? body.replace("\"x\"", "\"y\"") : body });
  return { status: res.status, text: await res.text() };
}

await cell("mint_aws4_without_content_sha256", async () => {
  const body = JSON.stringify({ bucket, key: "bare.txt", method: "PUT", expires_in: 300 });
  const minted = await signedBare("POST", "/_sluice/v1/presign", body);
  check(minted.status === 200, `mint answered ${minted.status}: ${minted.text}`);
  const put = await fetch(JSON.parse(minted.text).url, { method: "PUT", body: "through a header-less mint" });
  check(put.status === 200, `PUT through the minted URL answered ${put.status}`);
  const tampered = await signedBare("POST", "/_sluice/v1/presign", JSON.stringify({ bucket, key: "x", method: "PUT" }), { tamper: true });
  check(tampered.status === 403 && tampered.text.includes("SignatureDoesNotMatch"), `a changed body answered ${tampered.status}: ${tampered.text}`);
});
