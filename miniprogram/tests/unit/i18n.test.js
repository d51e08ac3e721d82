// The mini-program's words come from the service's Babel catalogs (lib/messages.js, written by
// `flask translate miniprogram`): every marked message has its Chinese, English is the msgid itself.
const { createRuntime } = require('../helpers/runtime')
const { stub } = require('../helpers/stub')
const pages = require('../helpers/pages')

test('every message has a Chinese translation, and English reads as the msgid', () => {
  const wx = createRuntime(stub({}, []))
  pages.install(wx)
  const i18n = require('../../lib/i18n')
  const catalogs = require('../../lib/messages')
  const missing = Object.keys(i18n.MESSAGES).filter((key) => !catalogs.zh_Hans_CN[i18n.MESSAGES[key]])
  expect(missing).toEqual([])
  expect(i18n.t('vote.agree')).toBe('同意')
  expect(i18n.t('nav.home')).toBe('首页') // a context keeps the service's other "Home" (房屋) apart
  wx.setStorageSync('gongjian.locale', 'en')
  expect(i18n.t('vote.agree')).toBe('Agree')
  expect(i18n.t('nav.home')).toBe('Home')
  expect(i18n.t('vote.share_yuan', { amount: '1.00' })).toBe('¥1.00')
  expect(i18n.t('settings.language')).toBe('中文')
})
