// minio-js: presignedPutObject/presignedGetObject/presignedUrl, initiateNewMultipartUpload, the ordinary calls.
import { Readable } from "node:stream";
import * as Minio from "minio";
import * as c from "./common.mjs";

const u = new URL(c.ENDPOINT);
const mc = new Minio.Client({
  endPoint: u.hostname, port: Number(u.port), useSSL: false, accessKey: c.ACCESS_KEY, secretKey: c.SECRET_KEY,
  region: c.REGION, pathStyle: true, partSize: c.PART,
});
const B = c.BUCKET;
const EXP = 600;
const read = async (stream) => {
  const chunks = [];
  for await (const ch of stream) chunks.push(ch);
  return Buffer.concat(chunks);
};
const get = async (key) => {
  const body = await read(await mc.getObject(B, key));
  const st = await mc.statObject(B, key);
  return [body, st.metaData["content-type"]];
};
const put = (key, body, meta = {}) => mc.putObject(B, key, body, body.length, meta);

if (!(await mc.bucketExists(B))) await mc.makeBucket(B, c.REGION);

await c.cell("presign_put", async () =>
  (await c.presignedPut((k) => mc.presignedPutObject(B, k, EXP), get, "mjs/presigned put ü+&=@,;~(x).txt", { signCt: false }))
  + "Content-Type cannot be signed by minio-js's presigner");
await c.cell("presign_get", () => c.presignedGet(put, (k) => mc.presignedGetObject(B, k, EXP), "mjs/presigned-get.bin"));
await c.cell("presign_mpu", () => c.presignedMultipart(
  (k) => mc.initiateNewMultipartUpload(B, k, {}),
  (k, id, n) => mc.presignedUrl("PUT", B, k, EXP, { uploadId: id, partNumber: String(n) }),
  (k, id) => mc.presignedUrl("POST", B, k, EXP, { uploadId: id }),
  get, "mjs/presigned-mpu.bin"));
await c.cell("put", async () => {
  await put("mjs/small.txt", Buffer.from("small"), { "Content-Type": "text/plain" });
  const [got, ct] = await get("mjs/small.txt");
  c.same(got, Buffer.from("small"), "small put");
  c.check(ct === "text/plain", `content-type ${ct}`);
});
await c.cell("put_stream", async () => {
  const body = c.data(300_000, "stream");
  await mc.putObject(B, "mjs/stream.bin", Readable.from([body.subarray(0, 1000), body.subarray(1000)]));
  c.same((await get("mjs/stream.bin"))[0], body, "streamed upload");
  return "Readable, unknown length";
});
await c.cell("multipart", async () => {
  const body = c.data(2 * c.PART + c.MIB, "mpu");
  await mc.putObject(B, "mjs/mpu.bin", Readable.from([body]), body.length);
  c.same((await get("mjs/mpu.bin"))[0], body, "multipart object");
  return "putObject 3 parts";
});
await c.cell("get_range", async () => {
  const body = c.data(5000, "range");
  await put("mjs/range.bin", body);
  c.same(await read(await mc.getPartialObject(B, "mjs/range.bin", 100, 1000)), body.subarray(100, 1100), "range");
});
await c.cell("head", async () => {
  await put("mjs/head.txt", Buffer.from("hello"), { "Content-Type": "text/x-test", "X-Amz-Meta-K": "v" });
  const st = await mc.statObject(B, "mjs/head.txt");
  c.check(st.size === 5 && st.metaData["content-type"] === "text/x-test" && st.metaData.k === "v", JSON.stringify(st));
  const miss = await mc.statObject(B, "mjs/missing").then(() => null, (e) => e);
  c.check(miss && miss.code === "NotFound", `stat missing: ${miss && miss.code}`);
});
await c.cell("list_v2", async () => {
  const keys = [...Array(7).keys()].map((i) => `mjs/list/${String(i).padStart(2, "0")}`);
  for (const k of keys) await put(k, Buffer.from("x"));
  const seen = [];
  let token = "";
  let pages = 0;
  do {
    const r = await mc.listObjectsV2Query(B, "mjs/list/", token, "", 3, "");
    pages++;
    seen.push(...r.objects.map((o) => o.name));
    token = r.isTruncated ? r.nextContinuationToken : "";
  } while (token);
  c.check(JSON.stringify(seen) === JSON.stringify(keys) && pages === 3, `pages=${pages} keys=${seen}`);
  return "listObjectsV2Query, 3 pages of 3";
});
await c.cell("copy", async () => {
  await put("mjs/src.txt", Buffer.from("copy me"));
  await mc.copyObject(B, "mjs/dst.txt", `/${B}/mjs/src.txt`);
  c.same((await get("mjs/dst.txt"))[0], Buffer.from("copy me"), "copy");
});
await c.cell("delete", async () => {
  await put("mjs/del.txt", Buffer.from("x"));
  await mc.removeObject(B, "mjs/del.txt");
  const miss = await mc.statObject(B, "mjs/del.txt").then(() => null, (e) => e);
  c.check(miss && miss.code === "NotFound", "object still there after removeObject");
});
await c.cell("multi_delete", async () => {
  const keys = [0, 1, 2, 3].map((i) => `mjs/md/${i}`);
  for (const k of keys) await put(k, Buffer.from("x"));
  const r = await mc.removeObjects(B, keys);
  c.check(!r.flat().some((e) => e && e.Error), `errors ${JSON.stringify(r)}`);
  const objs = [];
  for await (const o of mc.listObjectsV2(B, "mjs/md/", true)) objs.push(o);
  c.check(objs.length === 0, `${objs.length} objects left after removeObjects`);
});
