//! The operations Sluice understands, decided from method, path and query.

/// One S3 (or Sluice service) operation with the names it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `GET /`
    ListBuckets,
    /// `PUT /bucket`
    CreateBucket { bucket: String },
    /// `HEAD /bucket`
    HeadBucket { bucket: String },
    /// `DELETE /bucket`
    DeleteBucket { bucket: String },
    /// `GET /bucket?location`
    GetBucketLocation { bucket: String },
    /// `GET /bucket?versioning`
    GetBucketVersioning { bucket: String },
    /// `GET /bucket` (v1 listing)
    ListObjects { bucket: String },
    /// `GET /bucket?list-type=2`
    ListObjectsV2 { bucket: String },
    /// `GET /bucket?versions`
    ListObjectVersions { bucket: String },
    /// `GET /bucket?uploads`
    ListMultipartUploads { bucket: String },
    /// `POST /bucket?delete`
    DeleteObjects { bucket: String },
    /// `PUT /bucket/key`
    PutObject { bucket: String, key: String },
    /// `PUT /bucket/key` with `x-amz-copy-source`
    CopyObject { bucket: String, key: String },
    /// `GET /bucket/key`
    GetObject { bucket: String, key: String },
    /// `HEAD /bucket/key`
    HeadObject { bucket: String, key: String },
    /// `DELETE /bucket/key`
    DeleteObject { bucket: String, key: String },
    /// `POST /bucket/key?uploads`
    CreateMultipartUpload { bucket: String, key: String },
    /// `PUT /bucket/key?partNumber&uploadId`
    UploadPart {
        bucket: String,
        key: String,
        part_number: String,
        upload_id: String,
    },
    /// `PUT /bucket/key?partNumber&uploadId` with `x-amz-copy-source`
    UploadPartCopy {
        bucket: String,
        key: String,
        part_number: String,
        upload_id: String,
    },
    /// `POST /bucket/key?uploadId`
    CompleteMultipartUpload {
        bucket: String,
        key: String,
        upload_id: String,
    },
    /// `DELETE /bucket/key?uploadId`
    AbortMultipartUpload {
        bucket: String,
        key: String,
        upload_id: String,
    },
    /// `GET /bucket/key?uploadId`
    ListParts {
        bucket: String,
        key: String,
        upload_id: String,
    },
    /// `PUT /bucket?policy`
    PutBucketPolicy { bucket: String },
    /// `GET /bucket?policy`
    GetBucketPolicy { bucket: String },
    /// `DELETE /bucket?policy`
    DeleteBucketPolicy { bucket: String },
    /// `GET /bucket?acl`
    GetBucketAcl { bucket: String },
    /// `PUT /bucket?acl`
    PutBucketAcl { bucket: String },
    /// `GET /bucket/key?acl`
    GetObjectAcl { bucket: String, key: String },
    /// `PUT /bucket/key?acl`
    PutObjectAcl { bucket: String, key: String },
    /// `POST /bucket` with `multipart/form-data`: a browser form upload.
    PostObject { bucket: String },
    /// `PUT /bucket?cors`
    PutBucketCors { bucket: String },
    /// `GET /bucket?cors`
    GetBucketCors { bucket: String },
    /// `DELETE /bucket?cors`
    DeleteBucketCors { bucket: String },
    /// `GET /bucket?notification`
    GetBucketNotificationConfiguration { bucket: String },
    /// `PUT /bucket?notification`
    PutBucketNotificationConfiguration { bucket: String },
    /// `GET /bucket/key?attributes`
    GetObjectAttributes { bucket: String, key: String },
    /// `PUT /bucket/key?tagging`
    PutObjectTagging { bucket: String, key: String },
    /// `GET /bucket/key?tagging`
    GetObjectTagging { bucket: String, key: String },
    /// `DELETE /bucket/key?tagging`
    DeleteObjectTagging { bucket: String, key: String },
    /// `PUT /bucket?tagging`
    PutBucketTagging { bucket: String },
    /// `GET /bucket?tagging`
    GetBucketTagging { bucket: String },
    /// `DELETE /bucket?tagging`
    DeleteBucketTagging { bucket: String },
    /// `OPTIONS /bucket[/key]`: a CORS preflight, answered without authentication.
    CorsPreflight { bucket: String, key: Option<String> },
    /// A Sluice service path under `/_sluice/`: the rest of the path after the prefix.
    Service { path: String },
    /// `POST /_sluice/tus/{bucket}/{key}`: creates a tus resumable upload of that object (the key may
    /// hold `${filename}`, filled from `Upload-Metadata`), authorized as a PutObject.
    TusCreate { bucket: String, key: String },
    /// `/_sluice/tus/u/{token}`: a tus upload, addressed by its capability token (HEAD, PATCH,
    /// DELETE; the token is the credential).
    TusUpload { token: String },
    /// A bucket or object sub-resource Sluice does not implement (`?lifecycle`, `?website`, ...).
    Unsupported {
        bucket: Option<String>,
        key: Option<String>,
        subresource: String,
    },
}

impl Endpoint {
    /// The operation name as AWS documents it (used in logs and metrics).
    pub fn name(&self) -> &'static str {
        match self {
            Endpoint::ListBuckets => "ListBuckets",
            Endpoint::CreateBucket { .. } => "CreateBucket",
            Endpoint::HeadBucket { .. } => "HeadBucket",
            Endpoint::DeleteBucket { .. } => "DeleteBucket",
            Endpoint::GetBucketLocation { .. } => "GetBucketLocation",
            Endpoint::GetBucketVersioning { .. } => "GetBucketVersioning",
            Endpoint::ListObjects { .. } => "ListObjects",
            Endpoint::ListObjectsV2 { .. } => "ListObjectsV2",
            Endpoint::ListObjectVersions { .. } => "ListObjectVersions",
            Endpoint::ListMultipartUploads { .. } => "ListMultipartUploads",
            Endpoint::DeleteObjects { .. } => "DeleteObjects",
            Endpoint::PutObject { .. } => "PutObject",
            Endpoint::CopyObject { .. } => "CopyObject",
            Endpoint::GetObject { .. } => "GetObject",
            Endpoint::HeadObject { .. } => "HeadObject",
            Endpoint::DeleteObject { .. } => "DeleteObject",
            Endpoint::CreateMultipartUpload { .. } => "CreateMultipartUpload",
            Endpoint::UploadPart { .. } => "UploadPart",
            Endpoint::UploadPartCopy { .. } => "UploadPartCopy",
            Endpoint::CompleteMultipartUpload { .. } => "CompleteMultipartUpload",
            Endpoint::AbortMultipartUpload { .. } => "AbortMultipartUpload",
            Endpoint::ListParts { .. } => "ListParts",
            Endpoint::PutBucketPolicy { .. } => "PutBucketPolicy",
            Endpoint::GetBucketPolicy { .. } => "GetBucketPolicy",
            Endpoint::DeleteBucketPolicy { .. } => "DeleteBucketPolicy",
            Endpoint::GetBucketAcl { .. } => "GetBucketAcl",
            Endpoint::PutBucketAcl { .. } => "PutBucketAcl",
            Endpoint::GetObjectAcl { .. } => "GetObjectAcl",
            Endpoint::PutObjectAcl { .. } => "PutObjectAcl",
            Endpoint::PostObject { .. } => "PostObject",
            Endpoint::PutBucketCors { .. } => "PutBucketCors",
            Endpoint::GetBucketCors { .. } => "GetBucketCors",
            Endpoint::DeleteBucketCors { .. } => "DeleteBucketCors",
            Endpoint::GetBucketNotificationConfiguration { .. } => {
                "GetBucketNotificationConfiguration"
            }
            Endpoint::PutBucketNotificationConfiguration { .. } => {
                "PutBucketNotificationConfiguration"
            }
            Endpoint::GetObjectAttributes { .. } => "GetObjectAttributes",
            Endpoint::PutObjectTagging { .. } => "PutObjectTagging",
            Endpoint::GetObjectTagging { .. } => "GetObjectTagging",
            Endpoint::DeleteObjectTagging { .. } => "DeleteObjectTagging",
            Endpoint::PutBucketTagging { .. } => "PutBucketTagging",
            Endpoint::GetBucketTagging { .. } => "GetBucketTagging",
            Endpoint::DeleteBucketTagging { .. } => "DeleteBucketTagging",
            Endpoint::CorsPreflight { .. } => "PreflightRequest",
            Endpoint::Service { .. } => "Service",
            Endpoint::TusCreate { .. } => "TusCreate",
            Endpoint::TusUpload { .. } => "TusUpload",
            Endpoint::Unsupported { .. } => "Unsupported",
        }
    }

    /// The IAM action this operation needs (`s3:PutObject`, ...).
    pub fn action(&self) -> &'static str {
        match self {
            Endpoint::ListBuckets => "s3:ListAllMyBuckets",
            Endpoint::CreateBucket { .. } => "s3:CreateBucket",
            Endpoint::HeadBucket { .. } => "s3:ListBucket",
            Endpoint::DeleteBucket { .. } => "s3:DeleteBucket",
            Endpoint::GetBucketLocation { .. } => "s3:GetBucketLocation",
            Endpoint::GetBucketVersioning { .. } => "s3:GetBucketVersioning",
            Endpoint::ListObjects { .. } | Endpoint::ListObjectsV2 { .. } => "s3:ListBucket",
            Endpoint::ListObjectVersions { .. } => "s3:ListBucketVersions",
            Endpoint::ListMultipartUploads { .. } => "s3:ListBucketMultipartUploads",
            Endpoint::DeleteObjects { .. } | Endpoint::DeleteObject { .. } => "s3:DeleteObject",
            Endpoint::PutObject { .. }
            | Endpoint::CopyObject { .. }
            | Endpoint::CreateMultipartUpload { .. }
            | Endpoint::UploadPart { .. }
            | Endpoint::UploadPartCopy { .. }
            | Endpoint::CompleteMultipartUpload { .. }
            | Endpoint::PostObject { .. }
            | Endpoint::TusCreate { .. }
            | Endpoint::TusUpload { .. } => "s3:PutObject",
            Endpoint::GetObject { .. } | Endpoint::HeadObject { .. } => "s3:GetObject",
            Endpoint::AbortMultipartUpload { .. } => "s3:AbortMultipartUpload",
            Endpoint::ListParts { .. } => "s3:ListMultipartUploadParts",
            Endpoint::PutBucketPolicy { .. } => "s3:PutBucketPolicy",
            Endpoint::GetBucketPolicy { .. } => "s3:GetBucketPolicy",
            Endpoint::DeleteBucketPolicy { .. } => "s3:DeleteBucketPolicy",
            Endpoint::GetBucketAcl { .. } => "s3:GetBucketAcl",
            Endpoint::PutBucketAcl { .. } => "s3:PutBucketAcl",
            Endpoint::GetObjectAcl { .. } => "s3:GetObjectAcl",
            Endpoint::PutObjectAcl { .. } => "s3:PutObjectAcl",
            Endpoint::PutBucketCors { .. } | Endpoint::DeleteBucketCors { .. } => {
                "s3:PutBucketCORS"
            }
            Endpoint::GetBucketCors { .. } => "s3:GetBucketCORS",
            Endpoint::GetBucketNotificationConfiguration { .. } => "s3:GetBucketNotification",
            Endpoint::PutBucketNotificationConfiguration { .. } => "s3:PutBucketNotification",
            Endpoint::GetObjectAttributes { .. } => "s3:GetObjectAttributes",
            Endpoint::PutObjectTagging { .. } => "s3:PutObjectTagging",
            Endpoint::GetObjectTagging { .. } => "s3:GetObjectTagging",
            Endpoint::DeleteObjectTagging { .. } => "s3:DeleteObjectTagging",
            // AWS: DeleteBucketTagging needs s3:PutBucketTagging.
            Endpoint::PutBucketTagging { .. } | Endpoint::DeleteBucketTagging { .. } => {
                "s3:PutBucketTagging"
            }
            Endpoint::GetBucketTagging { .. } => "s3:GetBucketTagging",
            Endpoint::CorsPreflight { .. } => "s3:PreflightRequest",
            Endpoint::Service { path } if path.starts_with("admin/") => "sluice:Admin",
            Endpoint::Service { .. } => "sluice:Service",
            Endpoint::Unsupported { .. } => "s3:Unsupported",
        }
    }

    /// The bucket this operation addresses, if any.
    pub fn bucket(&self) -> Option<&str> {
        match self {
            Endpoint::ListBuckets | Endpoint::Service { .. } | Endpoint::TusUpload { .. } => None,
            Endpoint::Unsupported { bucket, .. } => bucket.as_deref(),
            Endpoint::CreateBucket { bucket }
            | Endpoint::HeadBucket { bucket }
            | Endpoint::DeleteBucket { bucket }
            | Endpoint::GetBucketLocation { bucket }
            | Endpoint::GetBucketVersioning { bucket }
            | Endpoint::ListObjects { bucket }
            | Endpoint::ListObjectsV2 { bucket }
            | Endpoint::ListObjectVersions { bucket }
            | Endpoint::ListMultipartUploads { bucket }
            | Endpoint::DeleteObjects { bucket }
            | Endpoint::PutObject { bucket, .. }
            | Endpoint::CopyObject { bucket, .. }
            | Endpoint::GetObject { bucket, .. }
            | Endpoint::HeadObject { bucket, .. }
            | Endpoint::DeleteObject { bucket, .. }
            | Endpoint::CreateMultipartUpload { bucket, .. }
            | Endpoint::UploadPart { bucket, .. }
            | Endpoint::UploadPartCopy { bucket, .. }
            | Endpoint::CompleteMultipartUpload { bucket, .. }
            | Endpoint::AbortMultipartUpload { bucket, .. }
            | Endpoint::ListParts { bucket, .. }
            | Endpoint::PutBucketPolicy { bucket }
            | Endpoint::GetBucketPolicy { bucket }
            | Endpoint::DeleteBucketPolicy { bucket }
            | Endpoint::GetBucketAcl { bucket }
            | Endpoint::PutBucketAcl { bucket }
            | Endpoint::PutBucketCors { bucket }
            | Endpoint::PostObject { bucket }
            | Endpoint::TusCreate { bucket, .. }
            | Endpoint::GetBucketCors { bucket }
            | Endpoint::DeleteBucketCors { bucket }
            | Endpoint::GetBucketNotificationConfiguration { bucket }
            | Endpoint::PutBucketNotificationConfiguration { bucket }
            | Endpoint::CorsPreflight { bucket, .. }
            | Endpoint::GetObjectAttributes { bucket, .. }
            | Endpoint::PutObjectTagging { bucket, .. }
            | Endpoint::GetObjectTagging { bucket, .. }
            | Endpoint::DeleteObjectTagging { bucket, .. }
            | Endpoint::PutBucketTagging { bucket }
            | Endpoint::GetBucketTagging { bucket }
            | Endpoint::DeleteBucketTagging { bucket }
            | Endpoint::GetObjectAcl { bucket, .. }
            | Endpoint::PutObjectAcl { bucket, .. } => Some(bucket),
        }
    }

    /// The object key this operation addresses, if any.
    pub fn key(&self) -> Option<&str> {
        match self {
            Endpoint::Unsupported { key, .. } | Endpoint::CorsPreflight { key, .. } => {
                key.as_deref()
            }
            Endpoint::PutObject { key, .. }
            | Endpoint::CopyObject { key, .. }
            | Endpoint::GetObject { key, .. }
            | Endpoint::HeadObject { key, .. }
            | Endpoint::DeleteObject { key, .. }
            | Endpoint::CreateMultipartUpload { key, .. }
            | Endpoint::UploadPart { key, .. }
            | Endpoint::UploadPartCopy { key, .. }
            | Endpoint::CompleteMultipartUpload { key, .. }
            | Endpoint::AbortMultipartUpload { key, .. }
            | Endpoint::ListParts { key, .. }
            | Endpoint::GetObjectAcl { key, .. }
            | Endpoint::PutObjectAcl { key, .. }
            | Endpoint::GetObjectAttributes { key, .. }
            | Endpoint::PutObjectTagging { key, .. }
            | Endpoint::GetObjectTagging { key, .. }
            | Endpoint::DeleteObjectTagging { key, .. }
            | Endpoint::TusCreate { key, .. } => Some(key),
            _ => None,
        }
    }
}
