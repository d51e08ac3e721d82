// A `wx` for tests: storage in memory, navigation and modals recorded. Network calls are given by the
// test: tests/helpers/bridge.js sends them to the real service over HTTP; unit tests pass a responder.
function createRuntime(network, options) {
  const storage = new Map()
  const record = { navigations: [], modals: [], opened: [], subscribed: [], previews: [], clipboard: [] }
  const settings = Object.assign({ confirm: true, fontSizeSetting: 16, media: [], subscribe: 'accept' }, options || {})
  const later = (fn) => Promise.resolve().then(fn)
  const wx = {
    record,
    settings,
    storage,
    getStorageSync: (key) => (storage.has(key) ? storage.get(key) : ''),
    setStorageSync: (key, value) => { storage.set(key, value) },
    removeStorageSync: (key) => { storage.delete(key) },
    getSystemInfoSync: () => ({ fontSizeSetting: settings.fontSizeSetting, platform: 'devtools' }),
    navigateTo: ({ url, success }) => { record.navigations.push(url); later(() => success && success({})) },
    redirectTo: ({ url, success }) => { record.navigations.push(url); later(() => success && success({})) },
    navigateBack: ({ success } = {}) => { record.navigations.push('back'); later(() => success && success({})) },
    showModal: ({ title, content, success }) => {
      record.modals.push({ title, content })
      later(() => success({ confirm: settings.confirm, cancel: !settings.confirm }))
    },
    showToast: () => {},
    chooseMedia: ({ success, fail }) => {
      const files = settings.media.shift()
      later(() => (files ? success({ tempFiles: files.map((f) => ({ tempFilePath: f, size: 1, fileType: 'image' })) })
        : fail({ errMsg: 'chooseMedia:fail cancel' })))
    },
    getLocation: ({ success }) => { later(() => success({ latitude: 30.6406, longitude: 104.0431 })) },
    openDocument: ({ filePath, success }) => { record.opened.push(filePath); later(() => success({})) },
    previewImage: ({ urls, success }) => { record.previews.push(urls); later(() => success && success({})) },
    setClipboardData: ({ data, success }) => { record.clipboard.push(data); later(() => success && success({})) },
    requestSubscribeMessage: ({ tmplIds, success }) => {
      record.subscribed.push(tmplIds)
      const result = { errMsg: 'requestSubscribeMessage:ok' }
      tmplIds.forEach((id) => { result[id] = settings.subscribe })
      later(() => success(result))
    },
  }
  Object.assign(wx, network(wx))
  return wx
}

module.exports = { createRuntime }
