// What lib/page.js gives every page: a failed load shown in the error box and loaded again from its button,
// and a list that reads again when the resident comes back to it.
const { signedIn } = require('../helpers/stub')
const pages = require('../helpers/pages')

const NOTICE = { id: 1, title: '停水通知', body: '明天停水。', read: false, created_at: '2026-11-30T12:21:00' }

test('the inbox reads again when the resident comes back to it, once it has loaded', async () => {
  const log = []
  let inbox = 'network'
  const wx = signedIn({ 'GET /api/v1/inbox': () => inbox }, log)
  const comp = await pages.open(wx, 'pages/inbox/inbox')
  expect(comp.instance.data.error.text).toContain('网络')
  comp.instance.onShow()
  expect(log.filter((c) => c.path === '/api/v1/inbox')).toHaveLength(1)
  inbox = [200, []]
  await comp.instance.onErrorAction()
  expect(comp.instance.data.error).toBeNull()
  expect(comp.instance.data.loaded).toBe(true)
  inbox = [200, [NOTICE]]
  comp.instance.onShow()
  await pages.until(() => comp.instance.data.notices.length, 'the new notice')
  expect(pages.text(comp)).toContain('停水通知')
  expect(log.filter((c) => c.path === '/api/v1/inbox')).toHaveLength(3)
})
