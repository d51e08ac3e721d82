// Publicity (公示): what is published for me with the time left, the record with objections and answers
// without names, and my objection with words and photos (further photos follow it one by one).
const { signedIn } = require('../helpers/stub')
const pages = require('../helpers/pages')

const PERIOD = { id: 3, subject_kind: 'vote_result', subject_id: 5, title: '1栋1单元加装电梯 投票结果', summary: '同意 9 户，不同意 1 户。',
  record: { approved: true }, starts_at: '2026-12-01T01:00:00', ends_at: '2026-12-08T01:00:00', state: 'open', extensions: 0,
  seconds_left: 3 * 86400 + 4 * 3600 + 59,
  objections: [{ id: 1, text: '电梯井挡住采光', photos: ['a.jpg'], created_at: '2026-12-02T01:00:00', answer: '由高层住户补偿。', answered_at: '2026-12-03T01:00:00' }] }

test('the list shows each publicity for my home with its countdown, and opens the record', async () => {
  const wx = signedIn({ 'GET /api/v1/publicity': [200, [PERIOD]] })
  const comp = await pages.open(wx, 'pages/publicity/publicity')
  pages.expectShown(comp.querySelector('.period-3'), ['投票结果公示', '还剩 3 天 4 小时', '截止：12月8日（周二）上午9:00', '异议 1 条'])
  await pages.tap(comp, '.period-3')
  expect(wx.record.navigations.pop()).toBe('/pages/publicity-item/publicity-item?id=3')
})

test('the record shows objections and answers without names; my objection goes with its words and two photos', async () => {
  const log = []
  let period = PERIOD
  const wx = signedIn({
    'GET /api/v1/publicity/3': () => [200, period],
    'POST /api/v1/publicity/3/objections': (data) => {
      if (!data.text) return [422, { error: { code: 'error.invalid', message: '请检查', details: [{ field: 'text', message: '请写下您的意见。' }] } }]
      return [201, { id: 2, publicity_id: 3, text: data.text, photos: ['b.jpg'] }]
    },
    'POST /api/v1/publicity/objections/2/photos': () => {
      period = Object.assign({}, PERIOD, { objections: PERIOD.objections.concat([{ id: 2, text: '噪音', photos: ['b.jpg', 'c.jpg'], created_at: '2026-12-04T01:00:00', answer: null }]) })
      return [200, { id: 2, photos: ['b.jpg', 'c.jpg'] }]
    },
  }, log, { media: [['/tmp/b.jpg', '/tmp/c.jpg']] })
  const comp = await pages.open(wx, 'pages/publicity-item/publicity-item', { id: '3' })
  const record = pages.text(comp)
  expect(record).toContain('同意 9 户，不同意 1 户。')
  expect(record).toContain('还剩 3 天 4 小时')
  expect(record).toContain('异议 1：电梯井挡住采光')
  expect(record).toContain('居委会答复（12月3日（周四）上午9:00）：由高层住户补偿。')
  expect(record).toContain('不显示提出人的姓名和房号')
  await pages.tap(comp, '.submit')
  expect(pages.text(comp.querySelector('.objection-form'))).toContain('请写下您的意见。')
  expect(log.some((c) => c.path.includes('/objections'))).toBe(false)
  await pages.type(comp, '.objection-input', '噪音')
  await pages.tap(comp, '.add-photo')
  await pages.until(() => comp.instance.data.photos.length === 2, 'the photos')
  await pages.tap(comp, '.submit')
  await pages.until(() => comp.instance.data.sent, 'the objection')
  const sent = log.filter((c) => c.path.includes('/objections'))
  expect(sent.map((c) => [c.path, c.file])).toEqual([['/api/v1/publicity/3/objections', '/tmp/b.jpg'], ['/api/v1/publicity/objections/2/photos', '/tmp/c.jpg']])
  expect(sent[0].data).toEqual({ text: '噪音' })
  await pages.until(() => comp.querySelector('.objection-2'), 'my objection in the record')
  expect(pages.text(comp.querySelector('.objection-2'))).toContain('居委会还没有答复')
  expect(wx.getStorageSync('gongjian.draft.objection.3')).toBe('')
})

test('an ended publicity takes no objection', async () => {
  const ended = Object.assign({}, PERIOD, { state: 'ended', seconds_left: 0 })
  const wx = signedIn({ 'GET /api/v1/publicity/3': [200, ended] })
  const comp = await pages.open(wx, 'pages/publicity-item/publicity-item', { id: '3' })
  expect(pages.text(comp)).toContain('公示已结束')
  expect(comp.querySelector('.objection-form')).toBeFalsy()
})
