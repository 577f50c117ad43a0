// AWS SDK for JavaScript v3: @aws-sdk/client-s3 (default flexible checksums), s3-request-presigner, lib-storage.
import { Readable } from "node:stream";
import {
  S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, HeadObjectCommand, CopyObjectCommand,
  DeleteObjectCommand, DeleteObjectsCommand, CreateMultipartUploadCommand, UploadPartCommand,
  CompleteMultipartUploadCommand, paginateListObjectsV2, ListObjectsV2Command,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { Upload } from "@aws-sdk/lib-storage";
import * as c from "./common.mjs";

const s3 = new S3Client({
  region: c.REGION, endpoint: c.ENDPOINT, forcePathStyle: true,
  credentials: { accessKeyId: c.ACCESS_KEY, secretAccessKey: c.SECRET_KEY },
});
const B = c.BUCKET;
const presign = (cmd, opts = {}) => getSignedUrl(s3, cmd, { expiresIn: 600, ...opts });
const get = async (key, extra = {}) => {
  const r = await s3.send(new GetObjectCommand({ Bucket: B, Key: key, ...extra }));
  return [Buffer.from(await r.Body.transformToByteArray()), r.ContentType, r];
};
const put = (key, body, extra = {}) => s3.send(new PutObjectCommand({ Bucket: B, Key: key, Body: body, ...extra }));

await s3.send(new CreateBucketCommand({ Bucket: B })).catch((e) => console.error("create bucket", e));

await c.cell("presign_put", () => c.presignedPut(
  // Content-Type is signed only when asked for (signableHeaders), as the presigner documents
  (k, ct) => presign(new PutObjectCommand({ Bucket: B, Key: k, ContentType: ct }),
    { signableHeaders: new Set(["content-type"]) }), get, "js3/presigned put ü+&=@,;~(x).txt"));
await c.cell("presign_get", () => c.presignedGet(put, (k) => presign(new GetObjectCommand({ Bucket: B, Key: k })),
  "js3/presigned-get.bin"));
await c.cell("presign_mpu", () => c.presignedMultipart(
  async (k) => (await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: k }))).UploadId,
  (k, id, n) => presign(new UploadPartCommand({ Bucket: B, Key: k, UploadId: id, PartNumber: n })),
  (k, id) => presign(new CompleteMultipartUploadCommand({ Bucket: B, Key: k, UploadId: id })),
  get, "js3/presigned-mpu.bin"));
await c.cell("put", async () => {
  await put("js3/small.txt", "small", { ContentType: "text/plain" });
  c.same((await get("js3/small.txt"))[0], Buffer.from("small"), "small put");
});
await c.cell("put_stream", async () => {
  const body = c.data(300_000, "stream");
  // a Readable with a declared length: sent aws-chunked with a trailing CRC32 checksum (the SDK default)
  await put("js3/stream.bin", Readable.from([body.subarray(0, 100_000), body.subarray(100_000)]), { ContentLength: body.length });
  c.same((await get("js3/stream.bin"))[0], body, "streamed upload");
  const up = new Upload({ client: s3, params: { Bucket: B, Key: "js3/stream2.bin", Body: Readable.from([body]) } });
  await up.done();
  c.same((await get("js3/stream2.bin"))[0], body, "lib-storage stream");
  return "Readable + ContentLength (aws-chunked trailer), lib-storage Upload";
});
await c.cell("multipart", async () => {
  const body = c.data(2 * c.PART + c.MIB, "mpu");
  const up = new Upload({ client: s3, partSize: c.PART, params: { Bucket: B, Key: "js3/mpu.bin", Body: body } });
  await up.done();
  const h = await s3.send(new HeadObjectCommand({ Bucket: B, Key: "js3/mpu.bin" }));
  c.check(h.ETag.endsWith('-3"'), `multipart ETag ${h.ETag} should end in -3`);
  c.same((await get("js3/mpu.bin"))[0], body, "multipart object");
  return "lib-storage Upload 3 parts";
});
await c.cell("get_range", async () => {
  const body = c.data(5000, "range");
  await put("js3/range.bin", body);
  const [got, , r] = await get("js3/range.bin", { Range: "bytes=100-1099" });
  c.check(r.ContentRange === "bytes 100-1099/5000", `Content-Range ${r.ContentRange}`);
  c.same(got, body.subarray(100, 1100), "range");
});
await c.cell("head", async () => {
  await put("js3/head.txt", "hello", { ContentType: "text/x-test", Metadata: { k: "v" } });
  const h = await s3.send(new HeadObjectCommand({ Bucket: B, Key: "js3/head.txt" }));
  c.check(h.ContentLength === 5 && h.ContentType === "text/x-test" && h.Metadata.k === "v", JSON.stringify(h));
  const miss = await s3.send(new HeadObjectCommand({ Bucket: B, Key: "js3/missing" })).then(() => null, (e) => e);
  c.check(miss && miss.name === "NotFound", `HEAD missing: ${miss && miss.name}`);
});
await c.cell("list_v2", async () => {
  const keys = [...Array(7).keys()].map((i) => `js3/list/${String(i).padStart(2, "0")}`).concat(["js3/list/07 ü+&=%.txt"]);
  for (const k of keys) await put(k, "x");
  const seen = [];
  let pages = 0;
  for await (const page of paginateListObjectsV2({ client: s3, pageSize: 3 }, { Bucket: B, Prefix: "js3/list/" })) {
    pages++;
    seen.push(...(page.Contents || []).map((o) => o.Key));
  }
  c.check(JSON.stringify(seen) === JSON.stringify(keys) && pages === 3, `pages=${pages} keys=${seen}`);
  return "3 pages of 3";
});
await c.cell("copy", async () => {
  await put("js3/src ü+&=%.txt", "copy me");
  // CopySource is sent as given: the caller URL-encodes it, as the SDK documents
  await s3.send(new CopyObjectCommand({ Bucket: B, Key: "js3/dst.txt", CopySource: `${B}/${encodeURIComponent("js3/src ü+&=%.txt")}` }));
  c.same((await get("js3/dst.txt"))[0], Buffer.from("copy me"), "copy");
});
await c.cell("delete", async () => {
  await put("js3/del.txt", "x");
  await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "js3/del.txt" }));
  const r = await s3.send(new ListObjectsV2Command({ Bucket: B, Prefix: "js3/del.txt" }));
  c.check(r.KeyCount === 0, "still listed after delete");
});
await c.cell("multi_delete", async () => {
  const keys = [0, 1, 2, 3].map((i) => `js3/md/${i}`);
  for (const k of keys) await put(k, "x");
  const r = await s3.send(new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: keys.map((Key) => ({ Key })) } }));
  c.check((r.Deleted || []).length === 4 && !(r.Errors || []).length, JSON.stringify(r));
  const l = await s3.send(new ListObjectsV2Command({ Bucket: B, Prefix: "js3/md/" }));
  c.check(l.KeyCount === 0, "objects left after DeleteObjects");
});
