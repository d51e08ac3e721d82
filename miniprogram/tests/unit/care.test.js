// Care mode (适老化): on at WeChat's large font settings or by the switch; larger text and targets;
// every control labelled for the screen reader; marks that carry meaning are words or signs, not colour.
const fs = require('fs')
const path = require('path')
const { signedIn } = require('../helpers/stub')
const pages = require('../helpers/pages')
const app = require('../../app.json')

const ROOT = path.resolve(__dirname, '../..')

test('care mode follows WeChat\'s largest font setting and the switch in settings', async () => {
  const wx = signedIn({
    'GET /api/v1/me': [200, { bound: false, kind: null, locale: 'zh_Hans_CN', phone_bound: false }],
  }, [], { fontSizeSetting: 22 })
  const settings = await pages.open(wx, 'pages/settings/settings')
  expect(settings.instance.data.care).toBe(true)
  expect(settings.dom.innerHTML).toMatch(/class="[^"]*care/)
  await pages.tap(settings, '.care-switch')
  expect(settings.instance.data.care).toBe(false)
  expect(wx.getStorageSync('gongjian.care')).toBe('off')
})

test('English comes from the same switch the service uses', async () => {
  const log = []
  const wx = signedIn({
    'GET /api/v1/me': [200, { bound: true, kind: 'owner', locale: 'zh_Hans_CN', phone_bound: true }],
    'PUT /api/v1/me/locale': (data) => [200, { bound: true, locale: data.locale }],
  }, log)
  const comp = await pages.open(wx, 'pages/settings/settings')
  await pages.tap(comp, '.language')
  await pages.until(() => comp.instance.data.locale === 'en', 'English')
  expect(log.find((c) => c.method === 'PUT').data).toEqual({ locale: 'en' })
  expect(pages.text(comp)).toContain('Large text (care mode)')
})

describe.each(app.pages)('%s', (page) => {
  const wxml = fs.readFileSync(path.join(ROOT, page + '.wxml'), 'utf8')
  const wxss = fs.readFileSync(path.join(ROOT, page + '.wxss'), 'utf8')

  test('every button, image, input and tappable row has an aria-label', () => {
    const tags = wxml.match(/<(?:button|image|input|textarea|view)\b(?:[^>"]|"[^"]*")*>/g).filter((tag) => !tag.startsWith('<view') || /bindtap/.test(tag)) || []
    const unlabelled = tags.filter((tag) => !/aria-label=/.test(tag))
    expect(unlabelled).toEqual([])
  })

  test('no button is WeChat\'s small size (13 px words, a target under 44 px)', () => {
    expect(wxml.match(/<button\b(?:[^>"]|"[^"]*")*size="mini"/g) || []).toEqual([])
  })

  test('it takes the shared styles: 44 px targets, care mode sizes', () => {
    expect(wxss).toContain('@import "../../app.wxss"')
  })
})

test('touch targets are at least 44 px, and larger in care mode', () => {
  const css = fs.readFileSync(path.join(ROOT, 'app.wxss'), 'utf8')
  const heights = [...css.matchAll(/min-height:\s*(\d+)px/g)].map((m) => Number(m[1]))
  expect(Math.min(...heights)).toBeGreaterThanOrEqual(44)
  expect(css).toMatch(/\.care button[^{]*\{[^}]*min-height:\s*56px/)
})

test('the title bar speaks the chosen language', async () => {
  const titles = []
  const wx = signedIn({
    'GET /api/v1/me': [200, { bound: false, kind: null, locale: 'en', phone_bound: false }],
  })
  wx.setNavigationBarTitle = ({ title }) => titles.push(title)
  wx.setStorageSync('gongjian.locale', 'en')
  await pages.open(wx, 'pages/settings/settings')
  expect(titles).toContain('Settings')
})
