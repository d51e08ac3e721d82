// A wish's whole story, reached from "my wishes": every step the service tells, in order, in Beijing time.
const { signedIn } = require('../helpers/stub')
const pages = require('../helpers/pages')

const WISH = { id: 7, reference: 'W7', catalogue_code: 'B05', text: '楼道灯坏了', photos: [], status: 'answered',
  status_text: '已答复', answer: '本周四更换。', answered_at: '2026-12-01T01:00:00', created_at: '2026-11-30T02:00:00',
  story: [{ kind: 'answered', text: '居委会答复：本周四更换。', at: '2026-12-01T01:00:00+00:00' },
    { kind: 'vote', text: '已列入投票「1栋加装电梯」', at: '2026-12-02T01:00:00+00:00' }] }

test('my wishes open a wish with its whole story, oldest step first', async () => {
  const wx = signedIn({
    'GET /api/v1/wishes': [200, [WISH]],
    'GET /api/v1/wishes/7': [200, WISH],
    'GET /api/v1/catalogue': [200, [{ code: 'B05', class: 'basic', name: '楼道照明' }]],
  })
  const list = await pages.open(wx, 'pages/wishes/wishes')
  await pages.tap(list, '.wish-row')
  expect(wx.record.navigations.pop()).toBe('/pages/wish/wish?id=7')
  const comp = await pages.open(wx, 'pages/wish/wish', { id: '7' })
  const story = pages.text(comp.querySelector('.story'))
  expect(story).toContain('这条诉求的经过')
  expect(story.indexOf('居委会答复：本周四更换。')).toBeLessThan(story.indexOf('已列入投票「1栋加装电梯」'))
  expect(story).toContain('12月1日（周二）上午9:00')
  expect(pages.text(comp)).toContain('已答复')
})

test('a wish nobody has acted on yet says the committee is looking at it', async () => {
  const fresh = Object.assign({}, WISH, { status: 'new', status_text: '已收到', answer: null, answered_at: null, story: [] })
  const wx = signedIn({
    'GET /api/v1/wishes/7': [200, fresh],
    'GET /api/v1/catalogue': [200, []],
  })
  const comp = await pages.open(wx, 'pages/wish/wish', { id: '7' })
  expect(pages.text(comp.querySelector('.story'))).toContain('居委会正在看')
})
