// AWS SDK for Go v2 (service/s3, its presign client and feature/s3/manager) against Sluice, with today's defaults.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	c "sluice.local/conformance/internal/conf"
)

var ctx = context.Background()
var b = aws.String(c.Bucket)

func main() {
	cli := s3.New(s3.Options{
		Region:       c.Region,
		BaseEndpoint: aws.String(c.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(c.AccessKey, c.SecretKey, ""),
	})
	pre := s3.NewPresignClient(cli, s3.WithPresignExpires(10*time.Minute))
	get := func(key string) ([]byte, string, error) {
		r, err := cli.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String(key)})
		if err != nil {
			return nil, "", err
		}
		defer r.Body.Close()
		out, err := io.ReadAll(r.Body)
		return out, aws.ToString(r.ContentType), err
	}
	put := func(key string, body []byte) error {
		_, err := cli.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String(key), Body: bytes.NewReader(body)})
		return err
	}
	if _, err := cli.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: b}); err != nil {
		fmt.Println("create bucket:", err)
	}

	c.Cell("presign_put", func() (string, error) {
		return c.PresignedPut(func(key, ct string) (string, error) {
			r, err := pre.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String(key), ContentType: aws.String(ct)})
			if err != nil {
				return "", err
			}
			return r.URL, nil
		}, get, "go/presigned put ü+&=@,;~(x).txt")
	})
	c.Cell("presign_get", func() (string, error) {
		return c.PresignedGet(put, func(key string) (string, error) {
			r, err := pre.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String(key)})
			if err != nil {
				return "", err
			}
			return r.URL, nil
		}, "go/presigned-get.bin")
	})
	c.Cell("presign_mpu", func() (string, error) {
		return c.PresignedMultipart(func(key string) (string, error) {
			r, err := cli.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: aws.String(key)})
			if err != nil {
				return "", err
			}
			return aws.ToString(r.UploadId), nil
		}, func(key, id string, n int) (string, error) {
			r, err := pre.PresignUploadPart(ctx, &s3.UploadPartInput{Bucket: b, Key: aws.String(key), UploadId: aws.String(id), PartNumber: aws.Int32(int32(n))})
			if err != nil {
				return "", err
			}
			return r.URL, nil
		}, func(key, id string) (string, error) {
			// the presign client has no PresignCompleteMultipartUpload: presign a POST by hand with the SDK's signer
			return presignComplete(cli, key, id)
		}, get, "go/presigned-mpu.bin")
	})
	c.Cell("put", func() (string, error) {
		if _, err := cli.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("go/small.txt"), Body: strings.NewReader("small"), ContentType: aws.String("text/plain")}); err != nil {
			return "", err
		}
		got, _, err := get("go/small.txt")
		if err != nil {
			return "", err
		}
		return "", c.Same(got, []byte("small"), "small put")
	})
	c.Cell("put_stream", func() (string, error) {
		body := c.Data(300_000, "stream")
		// PutObject refuses an unseekable body over plain http ("unseekable stream is not supported without TLS and
		// trailing checksum"), so a stream of unknown length goes through manager.Uploader, the SDK's way for it.
		up := manager.NewUploader(cli)
		if _, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("go/stream.bin"), Body: io.MultiReader(bytes.NewReader(body)),
			ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c}); err != nil {
			return "", err
		}
		got, _, err := get("go/stream.bin")
		if err != nil {
			return "", err
		}
		return "manager.Uploader, unknown length, CRC32C", c.Same(got, body, "streamed upload")
	})
	c.Cell("multipart", func() (string, error) {
		body := c.Data(2*c.Part+c.MiB, "mpu")
		up := manager.NewUploader(cli, func(u *manager.Uploader) { u.PartSize = c.Part })
		if _, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("go/mpu.bin"), Body: bytes.NewReader(body)}); err != nil {
			return "", err
		}
		buf := manager.NewWriteAtBuffer(nil)
		dl := manager.NewDownloader(cli, func(d *manager.Downloader) { d.PartSize = c.Part })
		if _, err := dl.Download(ctx, buf, &s3.GetObjectInput{Bucket: b, Key: aws.String("go/mpu.bin")}); err != nil {
			return "", err
		}
		h, err := cli.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("go/mpu.bin")})
		if err != nil {
			return "", err
		}
		if err := c.Check(strings.HasSuffix(aws.ToString(h.ETag), `-3"`), "multipart ETag %s should end in -3", aws.ToString(h.ETag)); err != nil {
			return "", err
		}
		return "manager Uploader 3 parts + Downloader", c.Same(buf.Bytes(), body, "multipart object")
	})
	c.Cell("get_range", func() (string, error) {
		body := c.Data(5000, "range")
		if err := put("go/range.bin", body); err != nil {
			return "", err
		}
		r, err := cli.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("go/range.bin"), Range: aws.String("bytes=100-1099")})
		if err != nil {
			return "", err
		}
		got, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if err := c.Check(aws.ToString(r.ContentRange) == "bytes 100-1099/5000", "Content-Range %q", aws.ToString(r.ContentRange)); err != nil {
			return "", err
		}
		return "", c.Same(got, body[100:1100], "range")
	})
	c.Cell("head", func() (string, error) {
		if _, err := cli.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("go/head.txt"), Body: strings.NewReader("hello"),
			ContentType: aws.String("text/x-test"), Metadata: map[string]string{"k": "v"}}); err != nil {
			return "", err
		}
		h, err := cli.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("go/head.txt")})
		if err != nil {
			return "", err
		}
		if err := c.Check(aws.ToInt64(h.ContentLength) == 5 && aws.ToString(h.ContentType) == "text/x-test" && h.Metadata["k"] == "v", "head: %+v", h); err != nil {
			return "", err
		}
		_, err = cli.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("go/missing")})
		var nf *types.NotFound
		return "", c.Check(errors.As(err, &nf), "HEAD missing key: %v, want NotFound", err)
	})
	c.Cell("list_v2", func() (string, error) {
		var keys []string
		for i := 0; i < 7; i++ {
			k := fmt.Sprintf("go/list/%02d", i)
			keys = append(keys, k)
			if err := put(k, []byte("x")); err != nil {
				return "", err
			}
		}
		var seen []string
		pages := 0
		p := s3.NewListObjectsV2Paginator(cli, &s3.ListObjectsV2Input{Bucket: b, Prefix: aws.String("go/list/"), MaxKeys: aws.Int32(3)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return "", err
			}
			pages++
			for _, o := range page.Contents {
				seen = append(seen, aws.ToString(o.Key))
			}
		}
		return "3 pages of 3", c.Check(strings.Join(seen, ",") == strings.Join(keys, ",") && pages == 3, "pages=%d keys=%v", pages, seen)
	})
	c.Cell("copy", func() (string, error) {
		if err := put("go/src.txt", []byte("copy me")); err != nil {
			return "", err
		}
		if _, err := cli.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: aws.String("go/dst.txt"), CopySource: aws.String(c.Bucket + "/go/src.txt")}); err != nil {
			return "", err
		}
		got, _, err := get("go/dst.txt")
		if err != nil {
			return "", err
		}
		return "", c.Same(got, []byte("copy me"), "copy")
	})
	c.Cell("delete", func() (string, error) {
		if err := put("go/del.txt", []byte("x")); err != nil {
			return "", err
		}
		if _, err := cli.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("go/del.txt")}); err != nil {
			return "", err
		}
		_, err := cli.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String("go/del.txt")})
		var nf *types.NotFound
		return "", c.Check(errors.As(err, &nf), "HEAD after delete: %v", err)
	})
	c.Cell("multi_delete", func() (string, error) {
		var ids []types.ObjectIdentifier
		for i := 0; i < 4; i++ {
			k := fmt.Sprintf("go/md/%d", i)
			if err := put(k, []byte("x")); err != nil {
				return "", err
			}
			ids = append(ids, types.ObjectIdentifier{Key: aws.String(k)})
		}
		r, err := cli.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: b, Delete: &types.Delete{Objects: ids}})
		if err != nil {
			var ae smithy.APIError
			if errors.As(err, &ae) {
				return "", fmt.Errorf("%s: %s", ae.ErrorCode(), ae.ErrorMessage())
			}
			return "", err
		}
		if err := c.Check(len(r.Deleted) == 4 && len(r.Errors) == 0, "deleted %d errors %d", len(r.Deleted), len(r.Errors)); err != nil {
			return "", err
		}
		l, err := cli.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b, Prefix: aws.String("go/md/")})
		if err != nil {
			return "", err
		}
		return "", c.Check(aws.ToInt32(l.KeyCount) == 0, "objects left after DeleteObjects")
	})
}
