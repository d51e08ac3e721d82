// The project's page: stages in order, funding in yuan by source (pledges apart), milestone photos fetched
// with the token, and a problem reported with a photo and the place.
const { createRuntime } = require('../helpers/runtime')
const { stub, SIGNED_IN } = require('../helpers/stub')
const pages = require('../helpers/pages')

test('stages, funding, milestones with photos, and a report with a photo and location', async () => {
  const log = []
  const uploads = []
  const network = (runtime) => Object.assign(stub(Object.assign({}, SIGNED_IN, {
    'GET /api/v1/project': [200, { progress: 45, satisfaction: null, funding: { central_subsidy: 50000000, resident_pledges: 100000 },
      project: { name: '玉林小区综合改造', stage: 'construction', items: [{ id: 1, catalogue_code: 'I16', progress: 50 }],
        stages: [{ stage: 'design', actual_start: '2026-03-01' }, { stage: 'construction', actual_start: '2026-09-01' }, { stage: 'acceptance' }] },
      milestones: [{ id: 3, title: '外墙脚手架搭设完成', text: '', at: '2026-10-01T02:00:00', photos: ['abc.png'] }] }],
    'GET /api/v1/catalogue': [200, [{ code: 'I16', class: 'improvement', name: '加装电梯' }]],
  }), log)(runtime), {
    downloadFile: ({ url, success }) => { log.push({ method: 'GET', path: url }); Promise.resolve().then(() => success({ statusCode: 200, tempFilePath: '/tmp/abc.png' })) },
    uploadFile: (options) => { uploads.push(options); Promise.resolve().then(() => options.success({ statusCode: 201, data: '{"id": 9, "status": "new"}' })) },
  })
  const wx = createRuntime(network, { media: [['/tmp/crack.png']] })
  const comp = await pages.open(wx, 'pages/progress/progress')
  await pages.until(() => comp.instance.data.milestones.length && comp.instance.data.milestones[0].photos.length, 'the photo')
  pages.expectShown(comp, ['方案设计（已完成）', '施工（进行中）', '验收（未开始）', '中央补助', '500,000.00 元', '居民认捐（已承诺，未到账）', '加装电梯'])
  expect(comp.instance.data.milestones[0].photos).toEqual(['/tmp/abc.png'])
  expect(log.some((c) => /\/api\/v1\/files\/abc\.png$/.test(c.path))).toBe(true)
  await pages.type(comp, '.report-text', '3栋外墙有裂缝')
  await pages.tap(comp, '.add-photo')
  await pages.tap(comp, '.add-location')
  await pages.until(() => comp.instance.data.location, 'the location')
  await pages.tap(comp, '.send-report')
  await pages.until(() => comp.instance.data.sent, 'the report')
  expect(uploads[0].filePath).toBe('/tmp/crack.png')
  expect(uploads[0].formData).toEqual({ text: '3栋外墙有裂缝', kind: 'report', latitude: 30.6406, longitude: 104.0431 })
})
