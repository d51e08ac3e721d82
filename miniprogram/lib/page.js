// What every page shares: its words (t), care mode, reading what it shows with the error box for a
// failure, drafts kept in storage so nothing typed is lost, and navigation. Pages are Components (see
// README: tests load them).
const wxp = require('./wx')
const i18n = require('./i18n')
const errors = require('./errors')

function careMode() {
  const saved = wxp.getStorage('gongjian.care')
  if (saved === 'on') return true
  if (saved === 'off') return false
  return wxp.systemFontScale() >= 1.25
}

const shared = {
  // Words, care mode and a cleared error box; call after a language switch too.
  refreshCommon() {
    this.setData({ t: i18n.table(), locale: i18n.locale(), care: careMode() })
    if (this.data.titleKey) wxp.setTitle(i18n.t(this.data.titleKey))
  },

  // Show a failure as a sentence and one next step; returns the field messages of a 422.
  showError(error) {
    const described = errors.describe(error)
    const fields = errors.fieldErrors(error)
    this.setData({ error: described, fieldErrors: fields, busy: false })
    return fields
  },

  clearError() {
    this.setData({ error: null, fieldErrors: {} })
  },

  // Read what the page shows (the page's own `fetch`), the error box cleared first; a failure is shown in
  // it as a sentence and one next step, whose retry comes back here.
  async load() {
    this.clearError()
    try {
      await this.fetch()
    } catch (error) { this.showError(error) }
  },

  // The error box's one button.
  onErrorAction() {
    const action = this.data.error && this.data.error.action
    this.clearError()
    if (action === 'bind') return wxp.navigateTo('/pages/bind/bind')
    if (action === 'privacy') return wxp.navigateTo('/pages/privacy/privacy')
    if (action === 'back') {
      const runtime = typeof wx === 'object' ? wx : globalThis.wx // eslint-disable-line no-undef
      return runtime.navigateBack ? runtime.navigateBack({}) : null
    }
    if (typeof this.load === 'function' && (action === 'retry' || action === 'reload')) return this.load()
    return null
  },

  // <view data-url="/pages/..." bindtap="go">
  go(event) {
    const url = event.currentTarget.dataset.url
    if (url) wxp.navigateTo(url)
  },

  // Drafts: what the resident typed, kept per page key until it was sent.
  keepDraft(key, value) { wxp.setStorage('gongjian.draft.' + key, value) },
  draft(key) { return wxp.getStorage('gongjian.draft.' + key) },
  dropDraft(key) { wxp.removeStorage('gongjian.draft.' + key) },
}

// How a page opens unless it has its own onLoad: it keeps the id its link names (`idFromQuery`, as in
// pages/vote/vote?id=5), then loads; with `reloadOnShow` it reads again whenever the resident comes back
// to it once it has loaded.
function opening(definition) {
  const methods = {
    onLoad(query) {
      if (definition.idFromQuery) this.setData({ id: Number(query.id) })
      return this.load()
    },
  }
  if (definition.reloadOnShow) methods.onShow = function onShow() { if (this.data.loaded) this.load() }
  return methods
}

function page(definition) {
  const data = Object.assign({ t: {}, locale: 'zh_Hans_CN', care: false, error: null, fieldErrors: {}, busy: false },
    definition.data || {})
  const methods = Object.assign({}, shared, opening(definition), definition.methods || {})
  const userAttached = definition.lifetimes && definition.lifetimes.attached
  const lifetimes = Object.assign({}, definition.lifetimes, {
    attached() {
      this.refreshCommon()
      if (userAttached) userAttached.call(this)
    },
  })
  const component = Object.assign({}, definition, { data, methods, lifetimes })
  delete component.idFromQuery
  delete component.reloadOnShow
  return Component(component) // eslint-disable-line no-undef
}

module.exports = { page, careMode }
