// Photos picked for a wish and for an objection (lib/photos.js): a photo over the service's 2 MB is left out
// with the reason, the others are kept in the draft, and a photo can be taken out again.
const { signedIn } = require('../helpers/stub')
const pages = require('../helpers/pages')

const PERIOD = { id: 3, subject_kind: 'vote_result', subject_id: 5, title: '投票结果', summary: '同意 9 户。', ends_at: '2026-12-08T01:00:00',
  state: 'open', extensions: 0, seconds_left: 86400, objections: [] }

const FORMS = [
  ['the wish form', 'pages/wish-new/wish-new', {}, { 'GET /api/v1/catalogue': [200, []] }, 'gongjian.draft.wish'],
  ['the objection form', 'pages/publicity-item/publicity-item', { id: '3' }, { 'GET /api/v1/publicity/3': [200, PERIOD] },
    'gongjian.draft.objection.3'],
]

test.each(FORMS)('on %s a photo over 2 MB is left out with the reason; the others are kept until taken out', async (_name, page, query, routes, draft) => {
  const wx = signedIn(routes)
  const asked = []
  wx.chooseMedia = ({ count, success }) => {
    asked.push(count)
    Promise.resolve().then(() => success({ tempFiles: [{ tempFilePath: '/tmp/a.jpg', size: 1000 },
      { tempFilePath: '/tmp/big.jpg', size: 2 * 1024 * 1024 + 1 }] }))
  }
  const comp = await pages.open(wx, page, query)
  await pages.tap(comp, '.add-photo')
  await pages.until(() => comp.instance.data.photos.length, 'the photo')
  expect(asked).toEqual([3])
  expect(comp.instance.data.photos).toEqual(['/tmp/a.jpg'])
  expect(comp.instance.data.error.text).toBe('这张照片超过 2 MB，请换一张。')
  expect(wx.getStorageSync(draft).photos).toEqual(['/tmp/a.jpg'])
  await pages.tap(comp, '.remove-photo')
  expect(comp.instance.data.photos).toEqual([])
  expect(wx.getStorageSync(draft).photos).toEqual([])
})
