// Drag-and-drop upload: ask the console for presigned URLs, then send the bytes straight to
// the S3 listener with XMLHttpRequest (cross-origin, so the S3 side must allow it by CORS).
(() => {
  const zone = document.getElementById('dropzone');
  if (!zone) return;
  const input = document.getElementById('file-input');
  const bar = document.getElementById('progress');
  const percent = document.getElementById('percent');
  const status = document.getElementById('upload-status');
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');

  const show = (text, cls) => { status.textContent = text; status.className = 'status ' + (cls || ''); };
  const setProgress = (done, total) => {
    const p = total > 0 ? Math.floor((done / total) * 100) : 100;
    bar.value = p;
    percent.textContent = p + '%';
  };

  // Where the file goes: the logged-in upload page has bucket/prefix inputs; a share page does not.
  const target = (file) => {
    const bucket = document.getElementById('upload-bucket');
    if (!bucket) return { filename: file.name, size: file.size };
    const prefix = document.getElementById('upload-prefix').value;
    return { bucket: bucket.value.trim(), key: prefix + file.name, size: file.size };
  };

  const askUrls = async (file) => {
    const headers = { 'content-type': 'application/json' };
    if (csrfMeta) headers['x-csrf-token'] = csrfMeta.content;
    const res = await fetch(zone.dataset.endpoint, {
      method: 'POST', headers, credentials: 'same-origin', body: JSON.stringify(target(file)),
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(body.error || body.message || ('HTTP ' + res.status));
    return body;
  };

  // One XHR; resolves with the XHR on 2xx.
  const send = (method, url, body, onProgress) => new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    if (onProgress) xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300)
      ? resolve(xhr) : reject(new Error('upload failed: HTTP ' + xhr.status + ' ' + xhr.responseText.slice(0, 200)));
    xhr.onerror = () => reject(new Error('upload failed: network error (is CORS allowed for this origin?)'));
    xhr.send(body);
  });

  const uploadMultipart = async (file, bundle) => {
    const sent = new Array(bundle.parts.length).fill(0);
    const total = file.size;
    const etags = [];
    for (const part of bundle.parts) {
      const i = part.part_number - 1;
      const blob = file.slice(part.offset, part.offset + part.size);
      const xhr = await send('PUT', part.url, blob, (n) => { sent[i] = n; setProgress(sent.reduce((a, b) => a + b, 0), total); });
      sent[i] = part.size;
      const etag = xhr.getResponseHeader('ETag');
      if (!etag) throw new Error('the S3 endpoint did not expose the part ETag (CORS ExposeHeaders)');
      etags.push('<Part><PartNumber>' + part.part_number + '</PartNumber><ETag>' + etag.replace(/&/g, '&amp;').replace(/</g, '&lt;') + '</ETag></Part>');
    }
    const xml = '<CompleteMultipartUpload>' + etags.join('') + '</CompleteMultipartUpload>';
    await send('POST', bundle.complete_url, xml, null);
  };

  const upload = async (file) => {
    if (!file) return;
    setProgress(0, 1);
    show('Uploading ' + file.name + '…');
    try {
      const urls = await askUrls(file);
      if (urls.kind === 'multipart') {
        await uploadMultipart(file, urls);
      } else {
        await send('PUT', urls.url, file, (n) => setProgress(n, file.size));
      }
      setProgress(1, 1);
      show('Done: ' + file.name + ' uploaded (' + file.size + ' bytes).', 'done');
    } catch (err) {
      show('Failed: ' + err.message, 'failed');
    }
  };

  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    if (e.dataTransfer && e.dataTransfer.files.length) upload(e.dataTransfer.files[0]);
  });
  input.addEventListener('change', () => upload(input.files[0]));
})();
