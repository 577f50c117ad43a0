// Sluice's JSON API called with the `aws4` npm package, the generic SigV4 signer many Node backends use
// (issue 20 item 15): mint a URL, upload through it, read the grants; a changed body or secret is refused.
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
