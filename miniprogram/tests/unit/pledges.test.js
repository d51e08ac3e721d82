// Pledges: my entries and my compound's totals with pledged and received apart, a pledge typed in yuan and
// sent in fen exactly, withdrawing one after a confirmation.
const { signedIn } = require('../helpers/stub')
const pages = require('../helpers/pages')
const fmt = require('../../lib/format')

const ME = [200, { bound: true, kind: 'owner', locale: 'zh_Hans_CN' }]
const TOTALS = { pledged: 1234567, received: 50001, refunded: 0, maintenance_fund_received: 0, hours_pledged: 4, hours_given: 0 }

test('yuan as typed become fen without floating point', () => {
  expect(fmt.fen('500')).toBe(50000)
  expect(fmt.fen('0.29')).toBe(29)
  expect(fmt.fen('1,000.5')).toBe(100050)
  expect(fmt.fen('１２。０１')).toBe(1201)
  expect(fmt.fen('1.234')).toBe(null)
  expect(fmt.fen('abc')).toBe(null)
})

test('my entries and the totals, pledged and received apart; a pledge sent in fen; a withdrawal confirmed', async () => {
  const log = []
  let entries = [{ id: 3, kind: 'money', amount: 50001, hours: null, description: '', state: 'received', pledged_at: '2026-12-01T01:00:00' }]
  const wx = signedIn({
    'GET /api/v1/me': ME,
    'GET /api/v1/project/contributions': () => [200, { entries, totals: TOTALS, dues: {} }],
    'POST /api/v1/project/pledges': (data) => {
      entries = entries.concat([{ id: 4, kind: data.kind, amount: data.amount, hours: null, description: data.description || '', state: 'pledged', pledged_at: '2026-12-02T01:00:00' }])
      return [201, { id: 4, state: 'pledged' }]
    },
    'POST /api/v1/project/contributions/4/cancel': () => {
      entries = entries.map((e) => (e.id === 4 ? Object.assign({}, e, { state: 'cancelled' }) : e))
      return [200, { id: 4, state: 'cancelled' }]
    },
  }, log)
  const comp = await pages.open(wx, 'pages/pledges/pledges')
  expect(pages.text(comp.querySelector('.totals'))).toContain('已认捐、未到账：12,345.67 元')
  expect(pages.text(comp.querySelector('.totals'))).toContain('已到账：500.01 元')
  expect(pages.text(comp.querySelector('.mine'))).toContain('出资 500.01 元（已到账）')
  expect(comp.querySelector('.withdraw')).toBeFalsy()
  await pages.type(comp, '.amount', '12.3.4')
  await pages.tap(comp, '.submit')
  expect(pages.text(comp.querySelector('.pledge-form'))).toContain('请填金额')
  expect(log.some((c) => c.path.endsWith('/pledges'))).toBe(false)
  await pages.type(comp, '.amount', '300.07')
  await pages.type(comp, '.description', '加装电梯')
  await pages.tap(comp, '.submit')
  await pages.until(() => comp.instance.data.sent, 'the pledge')
  expect(log.find((c) => c.path.endsWith('/pledges')).data).toEqual({ kind: 'money', amount: 30007, description: '加装电梯' })
  await pages.until(() => comp.querySelector('.withdraw'), 'the new entry')
  expect(pages.text(comp.querySelector('.entry-4'))).toContain('300.07 元（已认捐，未到账）')
  wx.settings.confirm = false
  await pages.tap(comp, '.withdraw')
  await pages.until(() => wx.record.modals.length, 'the confirmation')
  expect(log.some((c) => c.path.endsWith('/cancel'))).toBe(false)
  wx.settings.confirm = true
  await pages.tap(comp, '.withdraw')
  await pages.until(() => !comp.querySelector('.withdraw'), 'the withdrawal')
  expect(pages.text(comp.querySelector('.entry-4'))).toContain('已撤回')
})

test('a household member is not offered the maintenance fund', async () => {
  const wx = signedIn({
    'GET /api/v1/me': [200, { bound: true, kind: 'family', locale: 'zh_Hans_CN' }],
    'GET /api/v1/project/contributions': [200, { entries: [], totals: TOTALS, dues: {} }],
  })
  const comp = await pages.open(wx, 'pages/pledges/pledges')
  expect(comp.querySelector('.kind-money')).toBeTruthy()
  expect(comp.querySelector('.kind-maintenance_fund')).toBeFalsy()
})
