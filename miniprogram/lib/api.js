// The service's API as the mini-program calls it: sign-in (wx.login -> our token, kept and renewed,
// dropped on 401), one named operation per call (lib/operations.js), errors as ApiError.
const wxp = require('./wx')
const config = require('./config')
const OPERATIONS = require('./operations')

const TOKEN_KEY = 'gongjian.token'
const RENEW_BEFORE_MS = 10 * 60 * 1000

class ApiError extends Error {
  constructor(status, body, network) {
    const error = (body && body.error) || {}
    super(error.message || (network ? 'network' : 'HTTP ' + status))
    this.status = status
    this.code = error.code || (network ? 'network' : 'error.http')
    this.serverMessage = error.message || ''
    this.details = error.details || []
    this.network = Boolean(network)
  }

  // The message the service gave for one field (422), if any.
  fieldMessage(field) {
    const detail = this.details.find((d) => d.field === field)
    return detail ? detail.message : ''
  }
}

function fill(path, params) {
  return path.replace(/\{(\w+)\}/g, (_m, name) => {
    if (params[name] === undefined || params[name] === null) throw new Error('missing path parameter ' + name)
    return encodeURIComponent(String(params[name]))
  })
}

function storedToken() {
  const saved = wxp.getStorage(TOKEN_KEY)
  if (!saved || !saved.token) return null
  if (saved.expires_at && Date.parse(saved.expires_at) - Date.now() < RENEW_BEFORE_MS) return null
  return saved.token
}

function dropToken() { wxp.removeStorage(TOKEN_KEY) }

let signingIn = null

// wx.login, then the service's token; concurrent callers share one sign-in.
function signIn() {
  if (!signingIn) {
    signingIn = (async () => {
      const { code } = await wxp.login()
      const body = await send('auth.login', {}, { code }, null)
      wxp.setStorage(TOKEN_KEY, { token: body.token, expires_at: body.expires_at })
      return body
    })()
    signingIn.then(() => { signingIn = null }, () => { signingIn = null })
  }
  return signingIn
}

async function token() {
  const kept = storedToken()
  if (kept) return kept
  await signIn()
  return storedToken()
}

function headers(bearer) {
  const lang = wxp.getStorage('gongjian.locale') === 'en' ? 'en' : 'zh-CN'
  const result = { 'Accept-Language': lang }
  if (bearer) result.Authorization = 'Bearer ' + bearer
  return result
}

function parse(data) {
  if (typeof data !== 'string') return data
  try { return JSON.parse(data) } catch (e) { return { raw: data } }
}

function operation(name) {
  const op = OPERATIONS[name]
  if (!op) throw new Error('unknown operation ' + name)
  return op
}

async function send(name, params, data, bearer, files) {
  const op = operation(name)
  const url = config.base() + fill(op.path, params || {})
  let response
  try {
    if (op.multipart && files && files.length) {
      response = await wxp.uploadFile({ url, filePath: files[0], name: 'photos', formData: data || {},
        header: headers(bearer) })
      response = { statusCode: response.statusCode, data: response.data }
    } else if (op.multipart) {
      // No photo: the same form, sent as a form without a file.
      response = await wxp.request({ url, method: op.method, data: data || {}, header: Object.assign(
        headers(bearer), { 'content-type': 'application/x-www-form-urlencoded' }) })
    } else {
      response = await wxp.request({ url, method: op.method, data: data === undefined ? undefined : data,
        header: headers(bearer) })
    }
  } catch (failure) {
    throw new ApiError(0, null, true)
  }
  const body = parse(response.data)
  if (response.statusCode >= 200 && response.statusCode < 300) return body === '' ? null : body
  throw new ApiError(response.statusCode, body)
}

// Call one named operation as the signed-in resident; a refused token is renewed once.
async function call(name, params, data, files) {
  let bearer = await token()
  try {
    return await send(name, params, data, bearer, files)
  } catch (error) {
    if (error.status !== 401) throw error
    dropToken()
    bearer = await token()
    return send(name, params, data, bearer, files)
  }
}

// Download a file the service holds (a plan document, a photo, my data) to a temporary path.
async function download(name, params) {
  const op = operation(name)
  const url = config.base() + fill(op.path, params || {})
  const attempt = async (bearer) => {
    let response
    try {
      response = await wxp.downloadFile({ url, header: headers(bearer) })
    } catch (failure) {
      throw new ApiError(0, null, true)
    }
    if (response.statusCode !== 200) throw new ApiError(response.statusCode, null)
    return response.tempFilePath
  }
  try {
    return await attempt(await token())
  } catch (error) {
    if (error.status !== 401) throw error
    dropToken()
    return attempt(await token())
  }
}

// The URL of a stored file (for <image>, which cannot send our token: the service also accepts staff
// cookies only). Photos are therefore downloaded first and shown from their temporary path.
function fileName(reference) {
  return String(reference).split('/').pop()
}

async function signOut() {
  const bearer = storedToken()
  dropToken()
  if (bearer) {
    try { await send('auth.logout', {}, undefined, bearer) } catch (e) { /* already gone */ }
  }
}

module.exports = { call, download, signIn, signOut, fileName, ApiError, OPERATIONS, TOKEN_KEY }
