// The one door to the WeChat runtime. Pages and lib/ never touch `wx` directly: everything they need
// from WeChat goes through here, as promises, so tests can bridge these calls to real HTTP.
function runtime() {
  return typeof wx === 'object' ? wx : globalThis.wx // eslint-disable-line no-undef
}

function promised(name, options) {
  return new Promise((resolve, reject) => {
    const api = runtime()[name]
    if (typeof api !== 'function') {
      reject(Object.assign(new Error(name + ' is not available'), { errMsg: name + ':fail not available' }))
      return
    }
    api(Object.assign({}, options, { success: resolve, fail: reject }))
  })
}

module.exports = {
  login: () => promised('login', {}),
  request: (options) => promised('request', options),
  uploadFile: (options) => promised('uploadFile', options),
  downloadFile: (options) => promised('downloadFile', options),
  openDocument: (options) => promised('openDocument', options),
  chooseMedia: (options) => promised('chooseMedia', options),
  showModal: (options) => promised('showModal', options),
  getLocation: () => promised('getLocation', { type: 'gcj02' }),
  requestSubscribeMessage: (options) => promised('requestSubscribeMessage', options),
  navigateTo: (url) => promised('navigateTo', { url }),
  redirectTo: (url) => promised('redirectTo', { url }),
  previewImage: (urls) => promised('previewImage', { urls, current: urls[0] }),
  setClipboardData: (data) => promised('setClipboardData', { data }),
  setTitle(title) {
    const api = runtime().setNavigationBarTitle
    if (typeof api === 'function') api({ title })
  },
  getStorage(key) {
    try { return runtime().getStorageSync(key) || null } catch (e) { return null }
  },
  setStorage(key, value) {
    try { runtime().setStorageSync(key, value) } catch (e) { /* storage full: the value stays in memory only */ }
  },
  removeStorage(key) {
    try { runtime().removeStorageSync(key) } catch (e) { /* nothing to remove */ }
  },
  systemFontScale() {
    try {
      const info = (runtime().getSystemInfoSync || (() => ({})))()
      return info.fontSizeSetting ? info.fontSizeSetting / 16 : 1
    } catch (e) { return 1 }
  },
}
