// The newer forms (an objection, a pledge, deleting my data, a survey's photo) say every failure as a sentence
// with one next step, a button that says what it does, the service's word next to the field, and keep what
// was typed or chosen.
const { signedIn } = require('../helpers/stub')
const pages = require('../helpers/pages')

const fault = (status, code, message, details) => [status, { error: Object.assign({ code, message }, details ? { details } : {}) }]

// [status, sentence, next step, the button's words (null: no button)]
const CASES = [
  [401, /登录已过期/, /重新登录/, '再试一次'],
  [403, /请先绑定您家/, /绑定您家|居委会/, '绑定房屋'],
  [404, /没有找到/, /返回/, '返回'],
  [409, /已经变了|已结束/, /刷新/, '再试一次'],
  [413, /照片太大/, /不超过 2 MB/, null],
  [422, /.+/, /内容都还在/, null],
  [429, /太频繁/, /等一分钟/, '再试一次'],
  ['network', /网络连不上/, /检查网络/, '再试一次'],
]

function answer(status, field) {
  if (status === 'network') return 'network'
  if (status === 401) return fault(401, 'error.unauthorised', '请先登录')
  if (status === 403) return fault(403, 'bind.required', '请先绑定您家。')
  if (status === 404) return fault(404, 'error.not_found', '没有找到')
  if (status === 409) return fault(409, 'publicity.closed', '公示已结束。')
  if (status === 413) return fault(413, 'error.too_large', '太大')
  if (status === 422) return fault(422, 'error.invalid', '请检查', [{ field, message: '这里要改一下：' + field }])
  return fault(429, 'error.too_many', '太频繁')
}

async function check(comp, status, sentence, next, button) {
  await pages.until(() => comp.instance.data.error, 'the error')
  const box = comp.querySelector('.error-box-host')
  const said = pages.text(box)
  expect(said).toMatch(sentence)
  expect(said).toMatch(next)
  const shown = comp.querySelector('.error-box-host >>> .error-button')
  if (button) expect(pages.text(shown)).toBe(button)
  else expect(shown).toBeFalsy()
  expect(comp.instance.data.busy).toBe(false)
}

const PERIOD = { id: 3, subject_kind: 'plan', subject_id: 1, title: '改造方案公示', summary: '屋面防水。', state: 'open',
  starts_at: '2026-12-01T01:00:00', ends_at: '2026-12-08T01:00:00', seconds_left: 86400, extensions: 0, objections: [] }

test.each(CASES)('an objection refused with %s: said plainly, the words and photos kept', async (status, sentence, next, button) => {
  const wx = signedIn({
    'GET /api/v1/publicity/3': [200, PERIOD],
    'POST /api/v1/publicity/3/objections': answer(status, 'text'),
  }, [], { media: [['/tmp/a.jpg']] })
  const comp = await pages.open(wx, 'pages/publicity-item/publicity-item', { id: '3' })
  await pages.type(comp, '.objection-input', '施工噪音太大')
  await pages.tap(comp, '.add-photo')
  await pages.until(() => comp.instance.data.photos.length === 1, 'the photo')
  await pages.tap(comp, '.submit')
  await check(comp, status, sentence, next, button)
  expect(comp.instance.data.text).toBe('施工噪音太大')
  expect(comp.instance.data.photos).toEqual(['/tmp/a.jpg'])
  expect(wx.getStorageSync('gongjian.draft.objection.3').text).toBe('施工噪音太大')
  if (status === 422) expect(pages.text(comp.querySelector('.objection-form .field-error'))).toContain('这里要改一下：text')
})

test.each(CASES)('a pledge refused with %s: said plainly, the amount kept', async (status, sentence, next, button) => {
  const wx = signedIn({
    'GET /api/v1/me': [200, { bound: true, kind: 'owner', locale: 'zh_Hans_CN' }],
    'GET /api/v1/project/contributions': [200, { entries: [], totals: { pledged: 0, received: 0, hours_pledged: 0, hours_given: 0 } }],
    'POST /api/v1/project/pledges': answer(status, 'amount'),
  })
  const comp = await pages.open(wx, 'pages/pledges/pledges')
  await pages.type(comp, '.amount', '500.05')
  await pages.tap(comp, '.submit')
  await check(comp, status, sentence, next, button)
  expect(comp.instance.data.amount).toBe('500.05')
  expect(wx.getStorageSync('gongjian.draft.pledge').amount).toBe('500.05')
  if (status === 422) expect(pages.text(comp.querySelector('.pledge-form .field-error'))).toContain('这里要改一下：amount')
})

test('a pledge the service refuses for its kind says why next to the kinds', async () => {
  const wx = signedIn({
    'GET /api/v1/me': [200, { bound: true, kind: 'owner', locale: 'zh_Hans_CN' }],
    'GET /api/v1/project/contributions': [200, { entries: [], totals: { pledged: 0, received: 0, hours_pledged: 0, hours_given: 0 } }],
    'POST /api/v1/project/pledges': fault(422, 'error.invalid', '请检查', [{ field: 'kind', message: '维修资金只能由业主认捐。' }]),
  })
  const comp = await pages.open(wx, 'pages/pledges/pledges')
  await pages.tap(comp, '.kind-maintenance_fund')
  await pages.type(comp, '.amount', '1000')
  await pages.tap(comp, '.submit')
  await pages.until(() => comp.querySelector('.kind-error'), 'the message')
  expect(pages.text(comp.querySelector('.kind-error'))).toContain('维修资金只能由业主认捐。')
})

const DATA = { account: { home: '玉林小区 1栋 2单元 501', as: 'owner', phone: '138****5678' }, person: {}, wishes: [],
  ballots: [], survey_answers: [], pledges: [], objections: [], reports: [], messages: [] }

test.each(CASES.filter(([status]) => status !== 413 && status !== 422))(
  'deleting my data refused with %s: said plainly, nothing shown as deleted', async (status, sentence, next, button) => {
    const wx = signedIn({
      'GET /api/v1/me/data': [200, DATA],
      'POST /api/v1/me/deletion': answer(status),
    })
    const comp = await pages.open(wx, 'pages/mydata/mydata')
    await pages.tap(comp, '.delete')
    await check(comp, status, sentence, next, button)
    expect(comp.instance.data.deleted).toBe('')
    expect(pages.text(comp)).toContain('玉林小区 1栋 2单元 501')
  })

const PHOTO_SURVEY = { sections: [{ id: 's1', title: '楼道', questions: [
  { id: 'snap', type: 'photo', title: '拍一下楼道', required: true }, { id: 'say', type: 'text', title: '还想说什么' }] }] }

test.each(CASES)('a survey photo refused with %s: said plainly, the photos already taken and the words kept', async (status, sentence, next, button) => {
  let n = 0
  const wx = signedIn({
    'GET /api/v1/surveys': [200, [{ id: 9, title: '楼道照片', closes_at: '2026-12-02T01:00:00', definition: PHOTO_SURVEY }]],
    // The first photo is taken; the second is refused.
    'POST /api/v1/surveys/9/photos': () => { n += 1; return n === 1 ? [201, { photos: ['a'.repeat(64) + '.jpg'] }] : answer(status, 'photos') },
  }, [], { media: [['/tmp/a.jpg', '/tmp/b.jpg']] })
  const comp = await pages.open(wx, 'pages/survey/survey', { id: '9' })
  await pages.until(() => comp.querySelector('.q-say .text'), 'the questions')
  await pages.type(comp, '.q-say .text', '灯坏了两年')
  await pages.tap(comp, '.q-snap .add-photo')
  await check(comp, status, sentence, next, button)
  expect(comp.instance.data.answers.snap).toEqual(['a'.repeat(64) + '.jpg'])
  expect(comp.instance.data.answers.say).toBe('灯坏了两年')
  expect(wx.getStorageSync('gongjian.draft.survey.9').answers.snap).toEqual(['a'.repeat(64) + '.jpg'])
  if (status === 422) expect(pages.text(comp.querySelector('.q-snap'))).toContain('这里要改一下：photos')
})
