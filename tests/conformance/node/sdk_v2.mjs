// AWS SDK for JavaScript v2 (aws-sdk, in maintenance mode but still everywhere): getSignedUrl, ManagedUpload.
import { Readable } from "node:stream";
import AWS from "aws-sdk";
import * as c from "./common.mjs";

const s3 = new AWS.S3({
  endpoint: c.ENDPOINT, s3ForcePathStyle: true, signatureVersion: "v4", region: c.REGION,
  credentials: new AWS.Credentials(c.ACCESS_KEY, c.SECRET_KEY),
});
const B = c.BUCKET;
const presign = (op, params) => s3.getSignedUrlPromise(op, { Bucket: B, Expires: 600, ...params });
const get = async (key, extra = {}) => {
  const r = await s3.getObject({ Bucket: B, Key: key, ...extra }).promise();
  return [r.Body, r.ContentType, r];
};
const put = (key, body, extra = {}) => s3.putObject({ Bucket: B, Key: key, Body: body, ...extra }).promise();

await s3.createBucket({ Bucket: B }).promise().catch((e) => console.error("create bucket", e));

await c.cell("presign_put", () => c.presignedPut((k, ct) => presign("putObject", { Key: k, ContentType: ct }), get,
  "js2/presigned put ü+&=@,;~(x).txt", { signCt: "query" }));
await c.cell("presign_get", () => c.presignedGet(put, (k) => presign("getObject", { Key: k }), "js2/presigned-get.bin"));
await c.cell("presign_mpu", () => c.presignedMultipart(
  async (k) => (await s3.createMultipartUpload({ Bucket: B, Key: k }).promise()).UploadId,
  (k, id, n) => presign("uploadPart", { Key: k, UploadId: id, PartNumber: n }),
  (k, id) => presign("completeMultipartUpload", { Key: k, UploadId: id }),
  get, "js2/presigned-mpu.bin"));
await c.cell("put", async () => {
  await put("js2/small.txt", "small", { ContentType: "text/plain" });
  c.same((await get("js2/small.txt"))[0], Buffer.from("small"), "small put");
});
await c.cell("put_stream", async () => {
  const body = c.data(300_000, "stream");
  await s3.upload({ Bucket: B, Key: "js2/stream.bin", Body: Readable.from([body.subarray(0, 1000), body.subarray(1000)]) }).promise();
  c.same((await get("js2/stream.bin"))[0], body, "streamed upload");
  return "s3.upload(Readable)";
});
await c.cell("multipart", async () => {
  const body = c.data(2 * c.PART + c.MIB, "mpu");
  await s3.upload({ Bucket: B, Key: "js2/mpu.bin", Body: body }, { partSize: c.PART, queueSize: 2 }).promise();
  const h = await s3.headObject({ Bucket: B, Key: "js2/mpu.bin" }).promise();
  c.check(h.ETag.endsWith('-3"'), `multipart ETag ${h.ETag} should end in -3`);
  c.same((await get("js2/mpu.bin"))[0], body, "multipart object");
  return "ManagedUpload 3 parts";
});
await c.cell("get_range", async () => {
  const body = c.data(5000, "range");
  await put("js2/range.bin", body);
  const [got, , r] = await get("js2/range.bin", { Range: "bytes=100-1099" });
  c.check(r.ContentRange === "bytes 100-1099/5000", `Content-Range ${r.ContentRange}`);
  c.same(got, body.subarray(100, 1100), "range");
});
await c.cell("head", async () => {
  await put("js2/head.txt", "hello", { ContentType: "text/x-test", Metadata: { k: "v" } });
  const h = await s3.headObject({ Bucket: B, Key: "js2/head.txt" }).promise();
  c.check(h.ContentLength === 5 && h.ContentType === "text/x-test" && h.Metadata.k === "v", JSON.stringify(h));
  const miss = await s3.headObject({ Bucket: B, Key: "js2/missing" }).promise().then(() => null, (e) => e);
  c.check(miss && miss.statusCode === 404, `HEAD missing: ${miss && miss.code}`);
});
await c.cell("list_v2", async () => {
  const keys = [...Array(7).keys()].map((i) => `js2/list/${String(i).padStart(2, "0")}`);
  for (const k of keys) await put(k, "x");
  const seen = [];
  let pages = 0;
  let token;
  do {
    const r = await s3.listObjectsV2({ Bucket: B, Prefix: "js2/list/", MaxKeys: 3, ContinuationToken: token }).promise();
    pages++;
    seen.push(...r.Contents.map((o) => o.Key));
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  c.check(JSON.stringify(seen) === JSON.stringify(keys) && pages === 3, `pages=${pages} keys=${seen}`);
  return "3 pages of 3";
});
await c.cell("copy", async () => {
  await put("js2/src.txt", "copy me");
  await s3.copyObject({ Bucket: B, Key: "js2/dst.txt", CopySource: `${B}/js2/src.txt` }).promise();
  c.same((await get("js2/dst.txt"))[0], Buffer.from("copy me"), "copy");
});
await c.cell("delete", async () => {
  await put("js2/del.txt", "x");
  await s3.deleteObject({ Bucket: B, Key: "js2/del.txt" }).promise();
  const r = await s3.listObjectsV2({ Bucket: B, Prefix: "js2/del.txt" }).promise();
  c.check(r.KeyCount === 0, "still listed after delete");
});
await c.cell("multi_delete", async () => {
  const keys = [0, 1, 2, 3].map((i) => `js2/md/${i}`);
  for (const k of keys) await put(k, "x");
  const r = await s3.deleteObjects({ Bucket: B, Delete: { Objects: keys.map((Key) => ({ Key })) } }).promise();
  c.check(r.Deleted.length === 4 && !r.Errors.length, JSON.stringify(r));
  const l = await s3.listObjectsV2({ Bucket: B, Prefix: "js2/md/" }).promise();
  c.check(l.KeyCount === 0, "objects left after DeleteObjects");
});
