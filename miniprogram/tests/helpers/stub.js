// For page tests without the service: answers given by the test, every call recorded.
const { createRuntime } = require('./runtime')

function stub(routes, log) {
  return () => ({
    login: ({ success }) => Promise.resolve().then(() => success({ code: 'code-1' })),
    request: ({ url, method = 'GET', data, success, fail }) => {
      const path = url.replace(/^https?:\/\/[^/]+/, '')
      log.push({ method, path, data })
      let answer = routes[`${method} ${path}`]
      if (typeof answer === 'function') answer = answer(data, log)
      Promise.resolve().then(() => {
        if (answer === 'network') return fail({ errMsg: 'request:fail' })
        const [statusCode, body] = answer || [404, { error: { code: 'error.not_found', message: '没有找到' } }]
        return success({ statusCode, data: body })
      })
    },
    // Like WeChat, uploadFile answers with the body as a string.
    uploadFile: ({ url, filePath, formData, success, fail }) => {
      const path = url.replace(/^https?:\/\/[^/]+/, '')
      log.push({ method: 'POST', path, data: formData, file: filePath })
      let answer = routes[`POST ${path}`]
      if (typeof answer === 'function') answer = answer(formData, log, filePath)
      Promise.resolve().then(() => {
        if (answer === 'network') return fail({ errMsg: 'uploadFile:fail' })
        const [statusCode, body] = answer || [404, { error: { code: 'error.not_found', message: '没有找到' } }]
        return success({ statusCode, data: JSON.stringify(body) })
      })
    },
  })
}

const SIGNED_IN = { 'POST /api/v1/auth/login': [200, { token: 'tok', expires_at: '2099-01-01T00:00:00', bound: true }] }

// A `wx` signed in to a service that gives the answers `routes` names (as `stub` takes them), every call
// recorded in `log`; `settings` as createRuntime takes them (photos picked, confirmations, font size).
function signedIn(routes, log, settings) {
  return createRuntime(stub(Object.assign({}, SIGNED_IN, routes), log || []), settings)
}

module.exports = { stub, signedIn, SIGNED_IN }
