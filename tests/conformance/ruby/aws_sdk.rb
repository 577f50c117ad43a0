# Ruby: Debian's ruby-aws-sdk-s3 (Aws::S3::Client, Aws::S3::Presigner, Object#upload_file / #upload_stream).
require 'aws-sdk-s3'
require 'digest'
require 'net/http'
require 'tempfile'
require 'uri'

ENDPOINT = ENV.fetch('SLUICE_ENDPOINT')
BUCKET = ENV.fetch('CONF_BUCKET')
MIB = 1024 * 1024
PART = 5 * MIB
S3 = Aws::S3::Client.new(endpoint: ENDPOINT, region: 'us-east-1', force_path_style: true,
                         credentials: Aws::Credentials.new(ENV.fetch('AWS_ACCESS_KEY_ID'), ENV.fetch('AWS_SECRET_ACCESS_KEY')))
PRESIGNER = Aws::S3::Presigner.new(client: S3)
BKT = Aws::S3::Resource.new(client: S3).bucket(BUCKET)

class Skip < StandardError; end

def cell(name)
  detail = yield
  puts "RESULT\t#{name}\tPASS\t#{detail.is_a?(String) ? detail : ''}"
rescue Skip => e
  puts "RESULT\t#{name}\tSKIP\t#{e.message}"
rescue Exception => e # rubocop:disable Lint/RescueException
  warn "#{name}: #{e.class}: #{e.message}\n#{e.backtrace.first(5).join("\n")}"
  puts "RESULT\t#{name}\tFAIL\t#{"#{e.class}: #{e.message}".gsub(/\s+/, ' ')[0, 300]}"
ensure
  $stdout.flush
end

def check(cond, msg)
  raise msg unless cond
end

def data(n, seed)
  out = +''
  i = 0
  while out.bytesize < n
    out << Digest::SHA256.digest("#{seed}/#{i}")
    i += 1
  end
  out.byteslice(0, n)
end

def same(got, want, what)
  check(got.b == want.b, "#{what}: got #{got.bytesize} bytes, want #{want.bytesize}")
end

def http(method, url, body = nil, headers = {})
  uri = URI(url)
  req = Net::HTTPGenericRequest.new(method, !body.nil?, method != 'HEAD', uri.request_uri, headers)
  req.body = body if body
  req['Content-Type'] ||= 'application/octet-stream' if body
  Net::HTTP.start(uri.host, uri.port) { |h| h.request(req) }
end

def http_ok(method, url, body = nil, headers = {})
  r = http(method, url, body, headers)
  check(r.code.to_i.between?(200, 299), "#{method} #{url.split('?').first} -> #{r.code}: #{r.body.to_s[0, 300]}")
  r
end

def get(key, **kw)
  r = S3.get_object(bucket: BUCKET, key: key, **kw)
  [r.body.read, r.content_type, r]
end

def put(key, body, **kw)
  S3.put_object(bucket: BUCKET, key: key, body: body, **kw)
end

def presign(op, **params)
  PRESIGNER.presigned_url(op, bucket: BUCKET, expires_in: 600, **params)
end

begin
  S3.create_bucket(bucket: BUCKET)
rescue StandardError => e
  warn "create bucket: #{e}"
end

cell('presign_put') do
  key = 'rb/presigned put ü+&=@,;~(x).txt'
  body = data(1000, key)
  url = presign(:put_object, key: key, content_type: 'text/plain')
  check(CGI.unescape(url[/X-Amz-SignedHeaders=([^&]*)/, 1].to_s).split(';').include?('content-type'),
        "content-type not signed: #{url}")
  bad = http('PUT', url, body, 'Content-Type' => 'application/octet-stream')
  check(bad.code == '403', "PUT with another Content-Type than signed -> #{bad.code}, want 403")
  http_ok('PUT', url, body, 'Content-Type' => 'text/plain')
  got, ct, = get(key)
  same(got, body, 'read back')
  check(ct == 'text/plain', "content-type #{ct}")
  url.include?('x-id=') ? 'x-id in URL' : ''
end
cell('presign_get') do
  key = 'rb/presigned-get.bin'
  body = data(777, key)
  put(key, body)
  same(http_ok('GET', presign(:get_object, key: key)).body, body, 'presigned GET body')
  ''
end
cell('presign_mpu') do
  key = 'rb/presigned-mpu.bin'
  parts = [data(PART, "#{key}1"), data(MIB + 3, "#{key}2")]
  id = S3.create_multipart_upload(bucket: BUCKET, key: key).upload_id
  etags = parts.each_with_index.map do |p, i|
    http_ok('PUT', presign(:upload_part, key: key, upload_id: id, part_number: i + 1), p)['etag']
  end
  xml = '<CompleteMultipartUpload>' + etags.each_with_index.map do |e, i|
    "<Part><PartNumber>#{i + 1}</PartNumber><ETag>#{e}</ETag></Part>"
  end.join + '</CompleteMultipartUpload>'
  done = http_ok('POST', presign(:complete_multipart_upload, key: key, upload_id: id), xml)
  check(done.body.include?('CompleteMultipartUploadResult'), "complete answered #{done.body[0, 300]}")
  same(get(key)[0], parts.join, 'assembled object')
  ''
end
cell('put') do
  put('rb/small.txt', 'small', content_type: 'text/plain')
  same(get('rb/small.txt')[0], 'small', 'small put')
  ''
end
cell('put_stream') do
  body = data(300_000, 'stream')
  BKT.object('rb/stream.bin').upload_stream(part_size: PART) do |w|
    w.write(body[0, 1000])
    w.write(body[1000..])
  end
  same(get('rb/stream.bin')[0], body, 'streamed upload')
  'Object#upload_stream'
end
cell('multipart') do
  body = data(2 * PART + MIB, 'mpu')
  f = Tempfile.new('mpu')
  f.binmode
  f.write(body)
  f.close
  BKT.object('rb/mpu.bin').upload_file(f.path, multipart_threshold: PART)
  h = S3.head_object(bucket: BUCKET, key: 'rb/mpu.bin')
  check(h.etag.end_with?('-3"'), "multipart ETag #{h.etag} should end in -3")
  same(get('rb/mpu.bin')[0], body, 'multipart object')
  'Object#upload_file 3 parts'
end
cell('get_range') do
  body = data(5000, 'range')
  put('rb/range.bin', body)
  got, _, r = get('rb/range.bin', range: 'bytes=100-1099')
  check(r.content_range == 'bytes 100-1099/5000', "Content-Range #{r.content_range}")
  same(got, body.byteslice(100, 1000), 'range')
  ''
end
cell('head') do
  put('rb/head.txt', 'hello', content_type: 'text/x-test', metadata: { 'k' => 'v' })
  h = S3.head_object(bucket: BUCKET, key: 'rb/head.txt')
  check(h.content_length == 5 && h.content_type == 'text/x-test' && h.metadata == { 'k' => 'v' }, h.to_h.to_s)
  begin
    S3.head_object(bucket: BUCKET, key: 'rb/missing')
    raise 'HEAD of a missing key succeeded'
  rescue Aws::S3::Errors::NotFound
    ''
  end
end
cell('list_v2') do
  keys = (0...7).map { |i| format('rb/list/%02d', i) }
  keys.each { |k| put(k, 'x') }
  pages = S3.list_objects_v2(bucket: BUCKET, prefix: 'rb/list/', max_keys: 3).each_page.to_a
  seen = pages.flat_map { |p| p.contents.map(&:key) }
  check(seen == keys && pages.size == 3, "pages=#{pages.size} keys=#{seen}")
  '3 pages of 3'
end
cell('copy') do
  put('rb/src.txt', 'copy me')
  S3.copy_object(bucket: BUCKET, key: 'rb/dst.txt', copy_source: "#{BUCKET}/rb/src.txt")
  same(get('rb/dst.txt')[0], 'copy me', 'copy')
  ''
end
cell('delete') do
  put('rb/del.txt', 'x')
  S3.delete_object(bucket: BUCKET, key: 'rb/del.txt')
  check(S3.list_objects_v2(bucket: BUCKET, prefix: 'rb/del.txt').key_count.zero?, 'still listed after delete')
  ''
end
cell('multi_delete') do
  keys = (0...4).map { |i| "rb/md/#{i}" }
  keys.each { |k| put(k, 'x') }
  r = S3.delete_objects(bucket: BUCKET, delete: { objects: keys.map { |k| { key: k } } })
  check(r.deleted.size == 4 && r.errors.empty?, r.to_h.to_s)
  check(S3.list_objects_v2(bucket: BUCKET, prefix: 'rb/md/').key_count.zero?, 'objects left')
  ''
end
