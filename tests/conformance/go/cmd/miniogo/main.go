// minio-go v7 against Sluice: Presign/PresignHeader for URLs, Core for the multipart pieces, the ordinary calls.
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	c "sluice.local/conformance/internal/conf"
)

var ctx = context.Background()

func main() {
	u, _ := url.Parse(c.Endpoint)
	core, err := minio.NewCore(u.Host, &minio.Options{Creds: credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""),
		Region: c.Region, BucketLookup: minio.BucketLookupPath, Secure: false})
	if err != nil {
		panic(err)
	}
	cli := core.Client
	B := c.Bucket
	get := func(key string) ([]byte, string, error) {
		o, err := cli.GetObject(ctx, B, key, minio.GetObjectOptions{})
		if err != nil {
			return nil, "", err
		}
		defer o.Close()
		out, err := io.ReadAll(o)
		if err != nil {
			return nil, "", err
		}
		st, _ := o.Stat()
		return out, st.ContentType, nil
	}
	put := func(key string, body []byte) error {
		_, err := cli.PutObject(ctx, B, key, bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{})
		return err
	}
	if err := cli.MakeBucket(ctx, B, minio.MakeBucketOptions{Region: c.Region}); err != nil {
		fmt.Println("make bucket:", err)
	}

	c.Cell("presign_put", func() (string, error) {
		return c.PresignedPut(func(key, ct string) (string, error) {
			r, err := cli.PresignHeader(ctx, "PUT", B, key, 10*time.Minute, nil, http.Header{"Content-Type": {ct}})
			if err != nil {
				return "", err
			}
			return r.String(), nil
		}, get, "mgo/presigned put ü+&=@,;~(x).txt")
	})
	c.Cell("presign_get", func() (string, error) {
		return c.PresignedGet(put, func(key string) (string, error) {
			r, err := cli.PresignedGetObject(ctx, B, key, 10*time.Minute, nil)
			if err != nil {
				return "", err
			}
			return r.String(), nil
		}, "mgo/presigned-get.bin")
	})
	c.Cell("presign_mpu", func() (string, error) {
		return c.PresignedMultipart(func(key string) (string, error) {
			return core.NewMultipartUpload(ctx, B, key, minio.PutObjectOptions{})
		}, func(key, id string, n int) (string, error) {
			r, err := cli.Presign(ctx, "PUT", B, key, 10*time.Minute, url.Values{"partNumber": {fmt.Sprint(n)}, "uploadId": {id}})
			if err != nil {
				return "", err
			}
			return r.String(), nil
		}, func(key, id string) (string, error) {
			r, err := cli.Presign(ctx, "POST", B, key, 10*time.Minute, url.Values{"uploadId": {id}})
			if err != nil {
				return "", err
			}
			return r.String(), nil
		}, get, "mgo/presigned-mpu.bin")
	})
	c.Cell("put", func() (string, error) {
		if _, err := cli.PutObject(ctx, B, "mgo/small.txt", strings.NewReader("small"), 5, minio.PutObjectOptions{ContentType: "text/plain"}); err != nil {
			return "", err
		}
		got, ct, err := get("mgo/small.txt")
		if err != nil {
			return "", err
		}
		if err := c.Check(ct == "text/plain", "content-type %q", ct); err != nil {
			return "", err
		}
		return "", c.Same(got, []byte("small"), "small put")
	})
	c.Cell("put_stream", func() (string, error) {
		body := c.Data(300_000, "stream")
		// size -1: minio-go streams the unknown-length body as a multipart upload of 16 MiB parts
		_, err := cli.PutObject(ctx, B, "mgo/stream.bin", io.MultiReader(bytes.NewReader(body)), -1, minio.PutObjectOptions{PartSize: c.Part})
		if err != nil {
			return "", err
		}
		got, _, err := get("mgo/stream.bin")
		if err != nil {
			return "", err
		}
		return "unknown length", c.Same(got, body, "streamed upload")
	})
	c.Cell("multipart", func() (string, error) {
		body := c.Data(2*c.Part+c.MiB, "mpu")
		if _, err := cli.PutObject(ctx, B, "mgo/mpu.bin", bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{PartSize: c.Part}); err != nil {
			return "", err
		}
		got, _, err := get("mgo/mpu.bin")
		if err != nil {
			return "", err
		}
		return "PutObject 3 parts", c.Same(got, body, "multipart object")
	})
	c.Cell("get_range", func() (string, error) {
		body := c.Data(5000, "range")
		if err := put("mgo/range.bin", body); err != nil {
			return "", err
		}
		opts := minio.GetObjectOptions{}
		opts.SetRange(100, 1099)
		o, err := cli.GetObject(ctx, B, "mgo/range.bin", opts)
		if err != nil {
			return "", err
		}
		got, err := io.ReadAll(o)
		if err != nil {
			return "", err
		}
		return "", c.Same(got, body[100:1100], "range")
	})
	c.Cell("head", func() (string, error) {
		if _, err := cli.PutObject(ctx, B, "mgo/head.txt", strings.NewReader("hello"), 5, minio.PutObjectOptions{ContentType: "text/x-test", UserMetadata: map[string]string{"k": "v"}}); err != nil {
			return "", err
		}
		st, err := cli.StatObject(ctx, B, "mgo/head.txt", minio.StatObjectOptions{})
		if err != nil {
			return "", err
		}
		if err := c.Check(st.Size == 5 && st.ContentType == "text/x-test" && st.UserMetadata["K"] == "v", "stat %+v", st); err != nil {
			return "", err
		}
		_, err = cli.StatObject(ctx, B, "mgo/missing", minio.StatObjectOptions{})
		return "", c.Check(err != nil && minio.ToErrorResponse(err).StatusCode == 404, "stat missing: %v", err)
	})
	c.Cell("list_v2", func() (string, error) {
		var keys []string
		for i := 0; i < 7; i++ {
			k := fmt.Sprintf("mgo/list/%02d", i)
			keys = append(keys, k)
			if err := put(k, []byte("x")); err != nil {
				return "", err
			}
		}
		var seen []string
		for o := range cli.ListObjects(ctx, B, minio.ListObjectsOptions{Prefix: "mgo/list/", Recursive: true, MaxKeys: 3}) {
			if o.Err != nil {
				return "", o.Err
			}
			seen = append(seen, o.Key)
		}
		return "max-keys 3", c.Check(strings.Join(seen, ",") == strings.Join(keys, ","), "keys=%v", seen)
	})
	c.Cell("copy", func() (string, error) {
		if err := put("mgo/src.txt", []byte("copy me")); err != nil {
			return "", err
		}
		if _, err := cli.CopyObject(ctx, minio.CopyDestOptions{Bucket: B, Object: "mgo/dst.txt"}, minio.CopySrcOptions{Bucket: B, Object: "mgo/src.txt"}); err != nil {
			return "", err
		}
		got, _, err := get("mgo/dst.txt")
		if err != nil {
			return "", err
		}
		return "", c.Same(got, []byte("copy me"), "copy")
	})
	c.Cell("delete", func() (string, error) {
		if err := put("mgo/del.txt", []byte("x")); err != nil {
			return "", err
		}
		if err := cli.RemoveObject(ctx, B, "mgo/del.txt", minio.RemoveObjectOptions{}); err != nil {
			return "", err
		}
		_, err := cli.StatObject(ctx, B, "mgo/del.txt", minio.StatObjectOptions{})
		return "", c.Check(err != nil && minio.ToErrorResponse(err).StatusCode == 404, "stat after delete: %v", err)
	})
	c.Cell("multi_delete", func() (string, error) {
		ch := make(chan minio.ObjectInfo, 4)
		for i := 0; i < 4; i++ {
			k := fmt.Sprintf("mgo/md/%d", i)
			if err := put(k, []byte("x")); err != nil {
				return "", err
			}
			ch <- minio.ObjectInfo{Key: k}
		}
		close(ch)
		for e := range cli.RemoveObjects(ctx, B, ch, minio.RemoveObjectsOptions{}) {
			return "", fmt.Errorf("remove %s: %v", e.ObjectName, e.Err)
		}
		n := 0
		for range cli.ListObjects(ctx, B, minio.ListObjectsOptions{Prefix: "mgo/md/", Recursive: true}) {
			n++
		}
		return "", c.Check(n == 0, "%d objects left after RemoveObjects", n)
	})
}
