// wx.login, wx.request, wx.uploadFile and wx.downloadFile bridged to real HTTP: the service on a loopback
// port and the local WeChat simulator (which hands out wx.login codes for an openid, as WeChat would).
const http = require('http')
const fs = require('fs')
const os = require('os')
const path = require('path')
const crypto = require('crypto')

function send(url, { method = 'GET', headers = {}, body = null } = {}) {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers }, (response) => {
      const chunks = []
      response.on('data', (chunk) => chunks.push(chunk))
      response.on('end', () => resolve({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks) }))
    })
    request.on('error', reject)
    request.setTimeout(20000, () => request.destroy(new Error('timeout')))
    if (body) request.write(body)
    request.end()
  })
}

function decode(response) {
  const type = String(response.headers['content-type'] || '')
  const text = response.body.toString('utf8')
  if (type.includes('json')) {
    try { return JSON.parse(text) } catch (e) { return text }
  }
  return text
}

function lowerKeys(headers) {
  const result = {}
  Object.keys(headers || {}).forEach((k) => { result[k.toLowerCase()] = headers[k] })
  return result
}

function formEncode(data) {
  return Object.keys(data || {}).filter((k) => data[k] !== undefined && data[k] !== null)
    .map((k) => encodeURIComponent(k) + '=' + encodeURIComponent(String(data[k]))).join('&')
}

function multipart(fields, fileField, filePath) {
  const boundary = '----gongjian' + crypto.randomBytes(8).toString('hex')
  const parts = []
  Object.keys(fields || {}).forEach((name) => {
    if (fields[name] === undefined || fields[name] === null) return
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${fields[name]}\r\n`))
  })
  const fileName = path.basename(filePath)
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${fileField}"; filename="${fileName}"\r\n` +
    'Content-Type: application/octet-stream\r\n\r\n'))
  parts.push(fs.readFileSync(filePath))
  parts.push(Buffer.from(`\r\n--${boundary}--\r\n`))
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` }
}

// The network half of a test `wx` (see runtime.js): every call is a real HTTP exchange, recorded.
function bridge({ simulator, openid }) {
  const downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'gongjian-wx-'))
  const calls = []
  const settle = (promise, success, fail) => promise.then(success, (error) => fail && fail({ errMsg: 'request:fail ' + error.message }))
  return () => ({
    calls,
    login({ success, fail }) {
      const body = Buffer.from(JSON.stringify({ openid }))
      settle(send(simulator + '/sim/login-code', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body })
        .then((r) => ({ code: JSON.parse(r.body.toString()).code, errMsg: 'login:ok' })), success, fail)
    },
    request({ url, method = 'GET', data, header = {}, success, fail }) {
      const headers = lowerKeys(header)
      let target = url
      let body = null
      if (method === 'GET' || method === 'DELETE') {
        const query = data && typeof data === 'object' ? formEncode(data) : ''
        if (query) target += (url.includes('?') ? '&' : '?') + query
      } else if (String(headers['content-type'] || '').includes('x-www-form-urlencoded')) {
        body = Buffer.from(formEncode(data))
      } else if (data !== undefined) {
        headers['content-type'] = headers['content-type'] || 'application/json'
        body = Buffer.from(typeof data === 'string' ? data : JSON.stringify(data))
      }
      calls.push({ kind: 'request', method, url: target })
      settle(send(target, { method, headers, body }).then((r) => ({ statusCode: r.status, data: decode(r), header: r.headers })),
        success, fail)
    },
    uploadFile({ url, filePath, name, formData, header = {}, success, fail }) {
      const form = multipart(formData, name, filePath)
      const headers = Object.assign(lowerKeys(header), { 'content-type': form.type })
      calls.push({ kind: 'upload', method: 'POST', url })
      // Like WeChat, uploadFile answers with the body as a string.
      settle(send(url, { method: 'POST', headers, body: form.body })
        .then((r) => ({ statusCode: r.status, data: r.body.toString('utf8') })), success, fail)
    },
    downloadFile({ url, header = {}, success, fail }) {
      calls.push({ kind: 'download', method: 'GET', url })
      settle(send(url, { headers: lowerKeys(header) }).then((r) => {
        const extension = path.extname(new URL(url).pathname) || ''
        const tempFilePath = path.join(downloads, crypto.randomBytes(6).toString('hex') + extension)
        if (r.status === 200) fs.writeFileSync(tempFilePath, r.body)
        return { statusCode: r.status, tempFilePath }
      }), success, fail)
    },
  })
}

module.exports = { bridge, send }
