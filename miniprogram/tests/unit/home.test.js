const { createRuntime } = require('../helpers/runtime')
const pages = require('../helpers/pages')

function responder(routes, log) {
  return () => ({
    login: ({ success }) => Promise.resolve().then(() => success({ code: 'c1' })),
    request: ({ url, method, data, success }) => {
      const path = url.replace(/^https?:\/\/[^/]+/, '')
      log.push(`${method} ${path}`)
      const answer = routes[`${method} ${path}`]
      Promise.resolve().then(() => success(answer ? { statusCode: answer[0], data: answer[1] } : { statusCode: 404, data: { error: { code: 'error.not_found', message: '没有找到' } } }))
    },
  })
}

test('the home page shows my flat, what is open and the latest notices', async () => {
  const log = []
  const wx = createRuntime(responder({
    'POST /api/v1/auth/login': [200, { token: 'tok', expires_at: '2099-01-01T00:00:00', bound: true }],
    'GET /api/v1/me': [200, { bound: true, kind: 'owner', locale: 'zh_Hans_CN', compound: '玉林小区', building: '1栋', unit: '2单元', room: '501', phone_bound: false }],
    'GET /api/v1/votes': [200, [{ id: 7, title: '加装电梯', closes_at: '2026-12-02T01:00:00' }]],
    'GET /api/v1/surveys': [200, []],
    'GET /api/v1/publicity': [200, [{ id: 4, title: '加装电梯 投票结果', seconds_left: 2 * 86400 + 3600 }]],
    'GET /api/v1/inbox': [200, [{ id: 3, title: '停水通知', read: false, created_at: '2026-11-30T12:21:00' }]],
    'GET /api/v1/project': [200, { project: { stage: 'construction' } }],
  }, log))
  const comp = await pages.open(wx, 'pages/index/index')
  pages.expectShown(comp, ['玉林小区 1栋 2单元 501', '加装电梯', '12月2日（周三）上午9:00', '停水通知', '施工', '正在公示，可以提异议'])
  expect(pages.text(comp.querySelector('.publicity-row'))).toContain('加装电梯 投票结果还剩 2 天 1 小时')
  await pages.tap(comp, '.publicity-row')
  expect(wx.record.navigations.pop()).toBe('/pages/publicity-item/publicity-item?id=4')
})
