const { signedIn } = require('../helpers/stub')
const pages = require('../helpers/pages')

const DEFINITION = { sections: [{ id: 's1', title: '电梯', questions: [
  { id: 'want', type: 'single', title: '需要电梯吗？', required: true, options: [{ id: 'yes', label: '需要' }, { id: 'no', label: '不需要' }] },
  { id: 'lift', type: 'single', title: '哪种？', other: true, options: [{ id: 'a', label: '平层' }], show_if: { question: 'want', op: 'equals', value: 'yes' } },
  { id: 'rank', type: 'ranking', title: '先做哪个？', options: [{ id: 'x', label: '屋顶' }, { id: 'y', label: '管道' }] },
  { id: 'pay', type: 'number', title: '出多少？', unit: '元' },
] }] }

function setup(extra) {
  const log = []
  const wx = signedIn(Object.assign({
    'GET /api/v1/surveys': [200, [{ id: 4, title: '电梯问卷', closes_at: '2026-12-02T01:00:00', definition: DEFINITION }]],
    'GET /api/v1/surveys/4/response': [404, { error: { code: 'error.not_found', message: '没有找到' } }],
  }, extra), log)
  return { wx, log }
}

test('a question appears when the answer it depends on is given, and hidden answers are not sent', async () => {
  const { wx, log } = setup({ 'PUT /api/v1/surveys/4/response': (data) => [200, { answers: data.answers, submitted: data.submit }] })
  const comp = await pages.open(wx, 'pages/survey/survey', { id: '4' })
  expect(comp.querySelector('.q-lift')).toBeFalsy()
  await pages.tap(comp, '.q-want .opt-yes')
  await pages.until(() => comp.querySelector('.q-lift'), 'the question on the kind of lift')
  await pages.tap(comp, '.q-lift .opt-other')
  await pages.type(comp, '.q-lift .other-text', '半层入户')
  await pages.tap(comp, '.q-rank .up')
  await pages.type(comp, '.q-pay .number', '１，２００')
  await pages.tap(comp, '.q-want .opt-no')
  await pages.until(() => !comp.querySelector('.q-lift'), 'the question to go')
  await pages.tap(comp, '.submit')
  await pages.until(() => comp.instance.data.done, 'sent')
  const sent = log.find((c) => c.method === 'PUT').data
  expect(sent).toEqual({ answers: { want: 'no', rank: ['y', 'x'], pay: 1200 }, submit: true })
})

test('the service\'s message for a question is shown under it and the typed answers are kept', async () => {
  const { wx } = setup({ 'PUT /api/v1/surveys/4/response': [422, { error: { code: 'error.invalid', message: '请检查',
    details: [{ field: 'want', message: '请回答这个问题。' }] } }] })
  const comp = await pages.open(wx, 'pages/survey/survey', { id: '4' })
  await pages.type(comp, '.q-pay .number', '300')
  await pages.tap(comp, '.submit')
  await pages.until(() => comp.instance.data.error, 'the refusal')
  expect(pages.text(comp.querySelector('.q-want'))).toContain('请回答这个问题。')
  expect(pages.text(comp)).toContain('有 1 处需要改')
  expect(wx.getStorageSync('gongjian.draft.survey.4').answers.pay).toBe(300)
})

test('catalogue and multiple-choice questions: items in residents\' words, tapped on and off', async () => {
  const definition = { sections: [{ id: 's', questions: [
    { id: 'items', type: 'catalogue', title: '最想改什么？', max: 2 },
    { id: 'many', type: 'multiple', title: '哪些时间方便？', options: [{ id: 'am', label: '上午' }, { id: 'pm', label: '下午' }] },
  ] }] }
  const log = []
  const wx = signedIn({
    'GET /api/v1/surveys': [200, [{ id: 9, title: '意见', closes_at: null, definition }]],
    'GET /api/v1/surveys/9/response': [200, { answers: { many: ['pm'] }, submitted: false }],
    'GET /api/v1/catalogue': [200, [{ code: 'B02', class: 'basic', name: '供水' }, { code: 'I16', class: 'improvement', name: '加装电梯' }]],
    'PUT /api/v1/surveys/9/response': (data) => [200, { answers: data.answers, submitted: data.submit }],
  }, log)
  const comp = await pages.open(wx, 'pages/survey/survey', { id: '9' })
  expect(pages.text(comp)).toContain('加装电梯')
  expect(pages.text(comp.querySelector('.q-many .opt-pm'))).toContain('☑') // marked by a sign, not by colour alone
  await pages.tap(comp, '.q-items .opt-I16')
  await pages.tap(comp, '.q-items .opt-B02')
  await pages.tap(comp, '.q-items .opt-B02')
  await pages.tap(comp, '.q-many .opt-am')
  await pages.tap(comp, '.save')
  await pages.until(() => comp.instance.data.done, 'the draft')
  expect(log.find((c) => c.method === 'PUT').data).toEqual({ answers: { items: ['I16'], many: ['pm', 'am'] }, submit: false })
  expect(pages.text(comp)).toContain('已保存')
})

test('a photo question takes photos from wx.chooseMedia within the service\'s limits and answers with their names', async () => {
  const photoSurvey = { sections: [{ id: 's1', title: '楼道', questions: [
    { id: 'snap', type: 'photo', title: '拍一下楼道现在的样子', required: true }] }] }
  const log = []
  let n = 0
  const wx = signedIn({
    'GET /api/v1/surveys': [200, [{ id: 9, title: '楼道照片', closes_at: '2026-12-02T01:00:00', definition: photoSurvey }]],
    'POST /api/v1/surveys/9/photos': () => { n += 1; return [201, { photos: [`${String(n).repeat(64)}.jpg`] }] },
    'PUT /api/v1/surveys/9/response': (data) => [200, { answers: data.answers, submitted: data.submit }],
  }, log)
  // The second pick holds one photo over 2 MB: it is not sent, and the resident is told why.
  wx.chooseMedia = ({ count, sizeType, success }) => {
    log.push({ method: 'chooseMedia', count, sizeType })
    const files = n === 0 ? [{ tempFilePath: '/tmp/a.jpg', size: 1000 }]
      : [{ tempFilePath: '/tmp/b.jpg', size: 2 * 1024 * 1024 + 1 }, { tempFilePath: '/tmp/c.jpg', size: 2 * 1024 * 1024 }]
    Promise.resolve().then(() => success({ tempFiles: files }))
  }
  const comp = await pages.open(wx, 'pages/survey/survey', { id: '9' })
  await pages.until(() => comp.querySelector('.q-snap .add-photo'), 'the photo button')
  await pages.tap(comp, '.q-snap .add-photo')
  await pages.until(() => comp.querySelector('.q-snap .photo-0'), 'the first photo')
  expect(log.find((c) => c.method === 'chooseMedia')).toEqual({ method: 'chooseMedia', count: 3, sizeType: ['compressed'] })
  await pages.tap(comp, '.q-snap .add-photo')
  await pages.until(() => comp.querySelector('.q-snap .photo-1'), 'the second photo')
  expect(log.filter((c) => c.method === 'chooseMedia')[1].count).toBe(2)
  expect(log.filter((c) => c.file).map((c) => c.file)).toEqual(['/tmp/a.jpg', '/tmp/c.jpg'])
  expect(pages.text(comp.querySelector('.q-snap'))).toContain('超过 2 MB')
  expect(wx.getStorageSync('gongjian.draft.survey.9').answers.snap).toHaveLength(2)
  await pages.tap(comp, '.submit')
  await pages.until(() => comp.instance.data.done, 'sent')
  expect(log.find((c) => c.method === 'PUT').data.answers).toEqual({ snap: ['1'.repeat(64) + '.jpg', '2'.repeat(64) + '.jpg'] })
})

test('photos given earlier are fetched from the service with my token and shown; one it refuses keeps its label', async () => {
  const photoSurvey = { sections: [{ id: 's1', title: '楼道', questions: [{ id: 'snap', type: 'photo', title: '拍一下楼道' }] }] }
  const [mine, gone] = ['a'.repeat(64) + '.png', 'b'.repeat(64) + '.png']
  const fetched = []
  const wx = signedIn({
    'GET /api/v1/surveys': [200, [{ id: 9, title: '楼道照片', closes_at: '2026-12-02T01:00:00', definition: photoSurvey }]],
    'GET /api/v1/surveys/9/response': [200, { answers: { snap: [mine, gone] }, submitted: true }],
  })
  wx.downloadFile = ({ url, header, success }) => {
    fetched.push([url.replace(/^https?:\/\/[^/]+/, ''), header.Authorization])
    Promise.resolve().then(() => success(url.endsWith(mine) ? { statusCode: 200, tempFilePath: '/tmp/dl-a.png' } : { statusCode: 404, tempFilePath: '' }))
  }
  const comp = await pages.open(wx, 'pages/survey/survey', { id: '9' })
  await pages.until(() => comp.querySelector('.q-snap .photo-0 .thumb'), 'my photo')
  expect(fetched.map(([path]) => path)).toEqual(['/api/v1/files/' + mine, '/api/v1/files/' + gone])
  expect(fetched[0][1]).toBe('Bearer tok')
  expect(comp.instance.data.sections[0].questions[0].photos.map((p) => p.src)).toEqual(['/tmp/dl-a.png', ''])
  expect(comp.querySelector('.q-snap .photo-1 .thumb')).toBeFalsy()
  expect(pages.text(comp.querySelector('.q-snap .photo-1'))).toContain('2')
  expect(comp.instance.data.error).toBeNull()
})
