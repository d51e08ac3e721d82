// The vote page: the matter and what will be published said before casting, a confirmation that can be
// declined (nothing is cast), the flats an owner casts for, the receipt.
const { signedIn } = require('../helpers/stub')
const pages = require('../helpers/pages')

const VOTE = { id: 5, title: '1栋1单元加装电梯', text: '费用按楼层分摊。', state: 'open', closes_at: '2026-12-09T10:00:00',
  publish_details: false, documents: [{ file: 'abc.pdf', title: '方案' }],
  dwellings: [{ dwelling_id: 1, address: '1栋1单元101', role: 'owner', choice: null }, { dwelling_id: 2, address: '1栋1单元102', role: 'owner', choice: 'disagree' }],
  paper_rule: '纸质票和网上投票以最后收到的为准。' }

test('declining the confirmation casts nothing; confirming casts for my flats and shows the receipt', async () => {
  const log = []
  const wx = signedIn({
    'GET /api/v1/votes': [200, [VOTE]],
    'GET /api/v1/votes/5/ballot': [404, { error: { code: 'error.not_found', message: '没有找到' } }],
    'PUT /api/v1/votes/5/ballot': (data) => [200, { choice: data.choice, channel: 'miniprogram', receipt: 'R-1234', cast_at: '2026-12-02T02:00:00' }],
  }, log, { confirm: false })
  const comp = await pages.open(wx, 'pages/vote/vote', { id: '5' })
  pages.expectShown(comp, ['费用按楼层分摊。', '各户的选择不公开', '1栋1单元101', '1栋1单元102（不同意）', '以最后收到的为准', '12月9日（周三）晚上6:00'])
  await pages.tap(comp, '.choice-agree')
  await pages.until(() => wx.record.modals.length, 'the confirmation')
  expect(log.some((c) => c.method === 'PUT')).toBe(false)
  wx.settings.confirm = true
  await pages.tap(comp, '.choice-agree')
  await pages.until(() => comp.instance.data.ballot, 'the receipt')
  expect(log.find((c) => c.method === 'PUT').data).toEqual({ choice: 'agree' })
  expect(pages.text(comp)).toContain('R-1234')
  expect(pages.text(comp)).toContain('12月2日（周三）上午10:00（小程序）')
})

test('a published vote shows its result and the days of public notice left, and no buttons to cast', async () => {
  const closed = Object.assign({}, VOTE, { state: 'published', publicity_ends_at: new Date(Date.now() + 6.5 * 86400000).toISOString() })
  const wx = signedIn({
    'GET /api/v1/votes': [200, []],
    'GET /api/v1/votes/5/result': [200, { vote: closed, result: { approved: true, reason: '同意的面积和人数都超过了四分之三。',
      total_heads: 8, participating_heads: 7, agree_heads: 6, agree_area: '480.00', disagree_heads: 1, disagree_area: '80.00',
      abstain_heads: 0, abstain_area: '0.00' } }],
    'GET /api/v1/votes/5/ballot': [200, { choice: 'agree', channel: 'paper', receipt: 'R-9', cast_at: '2026-12-02T02:00:00' }],
    'GET /api/v1/votes/5/receipts/R-9': [200, { counted: true, choice: 'agree' }],
  })
  const comp = await pages.open(wx, 'pages/vote/vote', { id: '5' })
  const shown = pages.text(comp)
  expect(shown).toContain('通过')
  expect(shown).toContain('同意：6 户，480.00 平方米')
  expect(shown).toMatch(/公示还剩 [67] 天/)
  expect(comp.querySelector('.choice-agree')).toBeFalsy()
  await pages.tap(comp, '.check')
  await pages.until(() => comp.instance.data.checked, 'the check')
  expect(pages.text(comp)).toContain('已计入结果：同意')
})

test('a lift vote shows my own share in yuan to the fen, with the subsidy and provident fund deducted', async () => {
  const wx = signedIn({
    'GET /api/v1/votes': [200, [VOTE]],
    'GET /api/v1/votes/5/ballot': [404, { error: { code: 'error.not_found', message: '没有找到' } }],
    'GET /api/v1/lifts/votes/5/my-share': [200, { scheme_id: 1, dwelling_id: 1, room: '601', floor: 6, coefficient: '1.5',
      share: 5833334, total_cost: 60000000, subsidy: 20000000, provident_fund: 5000001, net_cost: 34999999,
      min_owner_share: '2/3', affected_must_agree: true, affected: false, fixed: true }],
  })
  const comp = await pages.open(wx, 'pages/vote/vote', { id: '5' })
  pages.expectShown(comp.querySelector('.share'), [
    '58,333.34 元',
    '总造价：600,000.00 元',
    '减去政府补贴：200,000.00 元',
    '减去公积金：50,000.01 元',
    '由业主分摊：349,999.99 元',
    '2/3 以上业主同意',
  ])
})

test('an owner of several flats chooses which flats the ballot is for; none chosen casts nothing', async () => {
  const log = []
  const wx = signedIn({
    'GET /api/v1/votes': [200, [VOTE]],
    'GET /api/v1/votes/5/ballot': [404, { error: { code: 'error.not_found', message: '没有找到' } }],
    'PUT /api/v1/votes/5/ballot': (data) => [200, { choice: data.choice, channel: 'miniprogram', receipt: 'R-2', cast_at: '2026-12-02T02:00:00',
      flats: [{ dwelling_id: 2, address: '1栋1单元102', choice: data.choice }] }],
  }, log)
  const comp = await pages.open(wx, 'pages/vote/vote', { id: '5' })
  expect(comp.instance.data.share).toBe(null)
  expect(comp.querySelectorAll('.pick')).toHaveLength(2)
  expect(pages.text(comp.querySelector('.pick-1'))).toContain('1栋1单元101（投）')
  await pages.tap(comp, '.pick-1')
  await pages.tap(comp, '.pick-2')
  await pages.tap(comp, '.choice-agree')
  await pages.until(() => comp.instance.data.error, 'the message')
  expect(pages.text(comp)).toContain('请至少选一户')
  expect(wx.record.modals).toHaveLength(0)
  await pages.tap(comp, '.pick-2')
  expect(pages.text(comp.querySelector('.pick-1'))).toContain('（不投）')
  await pages.tap(comp, '.choice-agree')
  await pages.until(() => comp.instance.data.ballot, 'the receipt')
  expect(wx.record.modals[0].content).toContain('只为：1栋1单元102')
  expect(log.find((c) => c.method === 'PUT').data).toEqual({ choice: 'agree', dwelling_ids: [2] })
})

test('after a ballot for one of my flats, the list of flats shows the choices the service now holds', async () => {
  const log = []
  const cast = (l) => l.some((c) => c.method === 'PUT')
  const wx = signedIn({
    'GET /api/v1/votes': (data, l) => [200, [cast(l) ? Object.assign({}, VOTE, { dwellings: [
      { dwelling_id: 1, address: '1栋1单元101', role: 'owner', choice: 'agree' }, VOTE.dwellings[1]] }) : VOTE]],
    'GET /api/v1/votes/5/ballot': [404, { error: { code: 'error.not_found', message: '没有找到' } }],
    'PUT /api/v1/votes/5/ballot': (data) => [200, { choice: data.choice, channel: 'miniprogram', receipt: 'R-3', cast_at: '2026-12-02T02:00:00',
      flats: [{ dwelling_id: 1, address: '1栋1单元101', choice: data.choice }] }],
  }, log)
  const comp = await pages.open(wx, 'pages/vote/vote', { id: '5' })
  expect(pages.text(comp.querySelector('.flats'))).not.toContain('1栋1单元101（同意）')
  await pages.tap(comp, '.pick-2')
  await pages.tap(comp, '.choice-agree')
  await pages.until(() => pages.text(comp.querySelector('.flats')).includes('1栋1单元101（同意）'), 'the flats refreshed')
  expect(log.find((c) => c.method === 'PUT').data).toEqual({ choice: 'agree', dwelling_ids: [1] })
  const flats = pages.text(comp.querySelector('.flats'))
  expect(flats).toContain('1栋1单元102（不同意）')
  expect(log.filter((c) => c.method === 'GET' && c.path === '/api/v1/votes').length).toBe(2)
})

test('a ballot received whose receipt is not ready says so, and the one button opens the vote again, not a second cast', async () => {
  const log = []
  let receiptReady = false
  const wx = signedIn({
    'GET /api/v1/votes': [200, [VOTE]],
    'GET /api/v1/votes/5/ballot': () => (receiptReady
      ? [200, { choice: 'agree', channel: 'miniprogram', receipt: 'R-77', cast_at: '2026-12-02T02:00:00' }]
      : [404, { error: { code: 'error.not_found', message: '没有找到' } }]),
    'PUT /api/v1/votes/5/ballot': [503, { error: { code: 'vote.received_not_chained',
      message: '您的选票已按时收到，会计入结果。回执还没生成好，请过几分钟再打开本次投票查看回执。' } }],
  }, log, { confirm: true })
  const comp = await pages.open(wx, 'pages/vote/vote', { id: '5' })
  await pages.tap(comp, '.choice-agree')
  await pages.until(() => comp.instance.data.error, 'the answer')
  const shown = pages.text(comp)
  expect(shown).toContain('已按时收到，会计入结果')
  expect(shown).toContain('过几分钟再打开')
  expect(shown).not.toContain('服务暂时出了问题')
  receiptReady = true
  await pages.tap(comp, '.error-box-host >>> .error-button')
  await pages.until(() => comp.instance.data.ballot, 'the receipt')
  expect(pages.text(comp)).toContain('R-77')
  expect(log.filter((c) => c.method === 'PUT')).toHaveLength(1)
})
