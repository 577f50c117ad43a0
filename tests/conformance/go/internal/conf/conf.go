// Package conf holds what the Go conformance clients share: settings, test data, plain HTTP and result lines
// (RESULT<TAB>cell<TAB>PASS|FAIL|SKIP<TAB>detail on stdout, read by tests/conformance/report.py).
package conf

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand"
	"net/http"
	"net/url"
	"os"
	"strings"
)

var (
	Endpoint  = os.Getenv("SLUICE_ENDPOINT")
	AccessKey = os.Getenv("AWS_ACCESS_KEY_ID")
	SecretKey = os.Getenv("AWS_SECRET_ACCESS_KEY")
	Region    = "us-east-1"
	Bucket    = os.Getenv("CONF_BUCKET")
)

const MiB = 1 << 20
const Part = 5 * MiB

// Skip marks a cell this client cannot run; its text says why.
type Skip string

func (s Skip) Error() string { return string(s) }

func NA(reason string) func() (string, error) {
	return func() (string, error) { return "", Skip(reason) }
}

func Cell(name string, fn func() (string, error)) {
	detail, err := func() (d string, err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return fn()
	}()
	var skip Skip
	switch {
	case err == nil:
		fmt.Printf("RESULT\t%s\tPASS\t%s\n", name, detail)
	case errors.As(err, &skip):
		fmt.Printf("RESULT\t%s\tSKIP\t%s\n", name, skip)
	default:
		fmt.Fprintf(os.Stderr, "%s: %+v\n", name, err)
		msg := strings.Join(strings.Fields(err.Error()), " ")
		if len(msg) > 300 {
			msg = msg[:300]
		}
		fmt.Printf("RESULT\t%s\tFAIL\t%s\n", name, msg)
	}
}

func Data(n int, seed string) []byte {
	h := fnv.New64a()
	h.Write([]byte(seed))
	b := make([]byte, n)
	rand.New(rand.NewSource(int64(h.Sum64()))).Read(b)
	return b
}

func Same(got, want []byte, what string) error {
	if !bytes.Equal(got, want) {
		return fmt.Errorf("%s: got %d bytes sha %x, want %d bytes sha %x", what, len(got), sha256.Sum256(got), len(want), sha256.Sum256(want))
	}
	return nil
}

// Do sends a plain HTTP request (no SDK) and returns status, headers, body.
func Do(method, u string, body []byte, hdr map[string]string) (int, http.Header, []byte, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, u, r)
	if err != nil {
		return 0, nil, nil, err
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, out, err
}

func DoOK(method, u string, body []byte, hdr map[string]string) (http.Header, []byte, error) {
	st, h, out, err := Do(method, u, body, hdr)
	if err != nil {
		return nil, nil, err
	}
	if st < 200 || st > 299 {
		return nil, nil, fmt.Errorf("%s %s -> %d: %.300s", method, strings.SplitN(u, "?", 2)[0], st, out)
	}
	return h, out, nil
}

func signedHeaders(u string) []string {
	p, _ := url.Parse(u)
	return strings.Split(p.Query().Get("X-Amz-SignedHeaders"), ";")
}

type Getter func(key string) (body []byte, contentType string, err error)

// PresignedPut: PUT through a presigned URL (Content-Type signed) with plain HTTP, read back with the client.
func PresignedPut(presign func(key, ct string) (string, error), get Getter, key string) (string, error) {
	const ct = "text/plain"
	body := Data(1000, key)
	u, err := presign(key, ct)
	if err != nil {
		return "", err
	}
	found := false
	for _, h := range signedHeaders(u) {
		found = found || h == "content-type"
	}
	if !found {
		return "", fmt.Errorf("content-type not in X-Amz-SignedHeaders of %s", u)
	}
	if st, _, out, err := Do("PUT", u, body, map[string]string{"Content-Type": "application/octet-stream"}); err != nil || st != 403 {
		return "", fmt.Errorf("PUT with another Content-Type than signed -> %d %v, want 403: %.200s", st, err, out)
	}
	if _, _, err := DoOK("PUT", u, body, map[string]string{"Content-Type": ct}); err != nil {
		return "", err
	}
	got, gotCT, err := get(key)
	if err != nil {
		return "", err
	}
	if err := Same(got, body, "read back"); err != nil {
		return "", err
	}
	if gotCT != ct {
		return "", fmt.Errorf("content-type read back %q, want %q", gotCT, ct)
	}
	if strings.Contains(u, "x-id=") {
		return "x-id in URL", nil
	}
	return "", nil
}

func PresignedGet(put func(key string, body []byte) error, presign func(key string) (string, error), key string) (string, error) {
	body := Data(777, key)
	if err := put(key, body); err != nil {
		return "", err
	}
	u, err := presign(key)
	if err != nil {
		return "", err
	}
	_, out, err := DoOK("GET", u, nil, nil)
	if err != nil {
		return "", err
	}
	return "", Same(out, body, "presigned GET body")
}

// PresignedMultipart: CreateMultipartUpload with the client, UploadPart and Complete via presigned URLs + plain HTTP.
func PresignedMultipart(create func(key string) (string, error), presignPart func(key, uploadID string, n int) (string, error),
	presignComplete func(key, uploadID string) (string, error), get Getter, key string) (string, error) {
	parts := [][]byte{Data(Part, key+"1"), Data(MiB+3, key+"2")}
	id, err := create(key)
	if err != nil {
		return "", err
	}
	var xml strings.Builder
	xml.WriteString("<CompleteMultipartUpload>")
	for i, p := range parts {
		u, err := presignPart(key, id, i+1)
		if err != nil {
			return "", err
		}
		h, _, err := DoOK("PUT", u, p, nil)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&xml, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", i+1, h.Get("ETag"))
	}
	xml.WriteString("</CompleteMultipartUpload>")
	u, err := presignComplete(key, id)
	if err != nil {
		return "", err
	}
	_, out, err := DoOK("POST", u, []byte(xml.String()), nil)
	if err != nil {
		return "", err
	}
	if !bytes.Contains(out, []byte("CompleteMultipartUploadResult")) {
		return "", fmt.Errorf("complete answered %.300s", out)
	}
	got, _, err := get(key)
	if err != nil {
		return "", err
	}
	return "", Same(got, bytes.Join(parts, nil), "assembled object")
}

func Check(cond bool, format string, args ...any) error {
	if !cond {
		return fmt.Errorf(format, args...)
	}
	return nil
}
