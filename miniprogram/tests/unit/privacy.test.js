// First use: the privacy notice before anything else; consent is given for the version read.
const { signedIn } = require('../helpers/stub')
const pages = require('../helpers/pages')

test('the home page sends a new resident to the privacy notice, and consent names the version read', async () => {
  const log = []
  const wx = signedIn({
    'GET /api/v1/me': [200, { bound: false, kind: null, locale: 'zh_Hans_CN', phone_bound: false, privacy_consented: false }],
    'GET /api/v1/privacy': [200, { version: '2026-11', text: '我们只为老旧小区改造使用您的信息。' }],
    'POST /api/v1/me/privacy-consent': (data) => [200, { bound: false, privacy_consented: true, version: data.version }],
  }, log)
  await pages.open(wx, 'pages/index/index')
  expect(wx.record.navigations).toContain('/pages/privacy/privacy')
  const comp = await pages.open(wx, 'pages/privacy/privacy')
  expect(pages.text(comp)).toContain('我们只为老旧小区改造使用您的信息。')
  await pages.tap(comp, '.accept')
  await pages.until(() => comp.instance.data.done, 'the consent')
  expect(log.find((c) => c.method === 'POST' && c.path === '/api/v1/me/privacy-consent').data).toEqual({ version: '2026-11' })
})

test('an owner verifies with the ID and certificate numbers, which are never kept on the phone', async () => {
  const log = []
  const wx = signedIn({
    'GET /api/v1/me': [200, { bound: true, kind: 'family', locale: 'zh_Hans_CN', phone_bound: true, compound: '玉林小区', room: '501' }],
    'POST /api/v1/me/binding/owner': [200, { bound: true, kind: 'owner', compound: '玉林小区', room: '501',
      dwellings: [{ id: 1, address: '玉林小区 1栋2单元501' }, { id: 2, address: '玉林小区 1栋2单元502' }] }],
  }, log)
  const comp = await pages.open(wx, 'pages/bind/bind')
  await pages.type(comp, '.id-number', '510107196001010011')
  await pages.type(comp, '.certificate-no', '川(2020)成都市不动产权第0012345号')
  await pages.tap(comp, '.submit-owner')
  await pages.until(() => comp.instance.data.done, 'the verification')
  expect(pages.text(comp)).toContain('玉林小区 1栋2单元502')
  expect(JSON.stringify([...wx.storage.values()])).not.toContain('510107196001010011')
})
