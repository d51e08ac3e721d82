// My data as the service holds it, and its deletion after a confirmation that says what it means.
const { signedIn } = require('../helpers/stub')
const pages = require('../helpers/pages')

const DATA = { account: { home: { compound: '玉林小区', building: '1栋', unit: '2单元', room: '501' }, as: 'owner', phone: '138****5678', language: 'zh_Hans_CN' },
  person: { name: '张三', id_number: '5101**********1234', phone: '138****5678' },
  wishes: [{ reference: 'W1', text: '楼道灯坏了', at: '2026-12-01T01:00:00+00:00' }],
  ballots: [{ vote: '1栋2单元加装电梯', choice: 'agree', at: '2026-12-02T01:00:00+00:00' }],
  survey_answers: [], pledges: [{ kind: 'money', amount_fen: 50001, description: '电梯', at: '2026-12-02T01:00:00+00:00' }],
  objections: [], reports: [], messages: [] }

test('my data is shown as the service keeps it, numbers masked', async () => {
  const wx = signedIn({ 'GET /api/v1/me/data': [200, DATA] })
  const comp = await pages.open(wx, 'pages/mydata/mydata')
  pages.expectShown(comp, [
    '玉林小区 1栋 2单元 501',
    '138****5678',
    '诉求（1 条）',
    'W1 楼道灯坏了',
    '1栋2单元加装电梯：同意',
    '500.01 元',
    '12月1日（周二）上午9:00',
  ])
})

test('deleting asks first, saying what is lost (a proxy I stand as too) and what stays; declining deletes nothing', async () => {
  const log = []
  const wx = signedIn({
    'GET /api/v1/me/data': [200, DATA],
    'POST /api/v1/me/deletion': [204, ''],
  }, log, { confirm: false })
  const comp = await pages.open(wx, 'pages/mydata/mydata')
  await pages.tap(comp, '.delete')
  await pages.until(() => wx.record.modals.length, 'the confirmation')
  const asked = wx.record.modals[0].content
  expect(asked).toContain('不能恢复')
  expect(asked).toContain('投票记录按法律保留')
  expect(asked).toContain('您代人投票的委托也会失效')
  expect(asked).toContain('已投的票（含代投的）照常计数')
  expect(log.some((c) => c.method === 'POST' && c.path === '/api/v1/me/deletion')).toBe(false)
  wx.settings.confirm = true
  await pages.tap(comp, '.delete')
  await pages.until(() => comp.instance.data.deleted, 'the deletion')
  expect(log.some((c) => c.method === 'POST' && c.path === '/api/v1/me/deletion')).toBe(true)
  expect(pages.text(comp)).toContain('您的数据已删除')
  expect(wx.getStorageSync('gongjian.token')).toBe('')
})
