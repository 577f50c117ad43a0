package main

import (
	"context"
	"net/http"
	"net/url"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	c "sluice.local/conformance/internal/conf"
)

// presignComplete presigns CompleteMultipartUpload with the SDK's own SigV4 signer (v4.Signer.PresignHTTP), since
// the presign client covers only object GET/PUT/HEAD/DELETE and UploadPart.
func presignComplete(cli *s3.Client, key, uploadID string) (string, error) {
	u := c.Endpoint + "/" + c.Bucket + "/" + (&url.URL{Path: key}).EscapedPath() + "?uploadId=" + url.QueryEscape(uploadID) + "&X-Amz-Expires=600"
	req, err := http.NewRequest("POST", u, nil)
	if err != nil {
		return "", err
	}
	creds, err := cli.Options().Credentials.Retrieve(context.Background())
	if err != nil {
		return "", err
	}
	signed, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, "UNSIGNED-PAYLOAD", "s3", c.Region, time.Now())
	return signed, err
}
