// Every failure the service can answer, and a lost network, shown as a sentence with one next step;
// what was typed stays.
const { signedIn } = require('../helpers/stub')
const pages = require('../helpers/pages')

const CASES = [
  [401, { error: { code: 'error.unauthorised', message: '请先登录' } }, /登录已过期/, /重新登录/],
  [403, { error: { code: 'bind.required', message: '请先绑定您家。' } }, /请先绑定您家/, /绑定您家|居委会/],
  [404, { error: { code: 'error.not_found', message: '没有找到' } }, /没有找到/, /返回/],
  [409, { error: { code: 'wish.closed', message: '这条诉求已办结。' } }, /已办结/, /刷新/],
  [413, { error: { code: 'error.too_large', message: '太大' } }, /照片太大/, /小一点/],
  [422, { error: { code: 'error.invalid', message: '请检查', details: [{ field: 'text', message: '最多 1000 字。' }] } }, /请检查/, /内容都还在/],
  [429, { error: { code: 'error.too_many', message: '太频繁' } }, /太频繁/, /等一分钟/],
  ['network', null, /网络连不上/, /检查网络/],
]

test.each(CASES)('a %s while sending a wish is said plainly, with one next step, and the wish stays typed', async (status, body, sentence, next) => {
  const log = []
  const answer = status === 'network' ? 'network' : [status, body]
  const wx = signedIn({
    'GET /api/v1/catalogue': [200, [{ code: 'B01', class: 'basic', name: '楼道' }]],
    // A 401 is answered with a fresh sign-in and one more try, which fails the same way.
    'POST /api/v1/wishes': answer,
  }, log)
  const comp = await pages.open(wx, 'pages/wish-new/wish-new')
  await pages.type(comp, '.wish-text', '楼道灯坏了')
  await pages.tap(comp, '.submit')
  await pages.until(() => comp.instance.data.error, 'the error')
  const shown = pages.text(comp.querySelector('.submit') ? comp : comp)
  expect(shown).toMatch(sentence)
  expect(shown).toMatch(next)
  expect(comp.instance.data.text).toBe('楼道灯坏了')
  expect(wx.getStorageSync('gongjian.draft.wish').text).toBe('楼道灯坏了')
  if (status === 422) expect(pages.text(comp)).toContain('最多 1000 字。')
  if (status === 401) expect(log.filter((c) => c.path === '/api/v1/auth/login')).toHaveLength(2)
})

test('a refused token is dropped, renewed with wx.login once, and the call goes through', async () => {
  const log = []
  let first = true
  const wx = signedIn({
    'GET /api/v1/me': () => {
      if (first) { first = false; return [401, { error: { code: 'error.unauthorised', message: '请先登录' } }] }
      return [200, { bound: false, kind: null, locale: 'zh_Hans_CN', phone_bound: false }]
    },
  }, log)
  wx.setStorageSync('gongjian.token', { token: 'old', expires_at: '2099-01-01T00:00:00' })
  const comp = await pages.open(wx, 'pages/index/index')
  expect(comp.instance.data.error).toBeNull()
  expect(pages.text(comp)).toContain('您还没有绑定房屋')
  expect(log.map((c) => `${c.method} ${c.path}`)).toEqual(['GET /api/v1/me', 'POST /api/v1/auth/login', 'GET /api/v1/me'])
})

test('the error box\'s button takes the one next step: a 403 leads to binding', async () => {
  const wx = signedIn({
    'GET /api/v1/votes': [403, { error: { code: 'bind.required', message: '请先绑定您家。' } }],
  })
  const comp = await pages.open(wx, 'pages/votes/votes')
  await pages.until(() => comp.querySelector('.error-box-host >>> .error-button'), 'the error box')
  await pages.tap(comp, '.error-box-host >>> .error-button')
  expect(wx.record.navigations).toContain('/pages/bind/bind')
})

test('a token about to expire is renewed before the call, not after a refusal', async () => {
  const log = []
  const wx = signedIn({
    'GET /api/v1/me': [200, { bound: false, kind: null, locale: 'zh_Hans_CN', phone_bound: false }],
  }, log)
  wx.setStorageSync('gongjian.token', { token: 'old', expires_at: new Date(Date.now() + 60000).toISOString() })
  await pages.open(wx, 'pages/index/index')
  expect(log.map((c) => `${c.method} ${c.path}`)).toEqual(['POST /api/v1/auth/login', 'GET /api/v1/me'])
  expect(wx.getStorageSync('gongjian.token').token).toBe('tok')
})
