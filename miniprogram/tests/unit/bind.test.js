// Binding from the stairwell poster (scene "unit:ID"): room and phone digits; what was typed survives a
// failed try; a household member is told what they may do.
const { signedIn } = require('../helpers/stub')
const pages = require('../helpers/pages')

test('a scan names the compound and unit, opens the room form for that stairwell, and a household binding is explained', async () => {
  const log = []
  let tries = 0
  const wx = signedIn({
    'GET /api/v1/me': [200, { bound: false, kind: null, locale: 'zh_Hans_CN', phone_bound: true }],
    'GET /api/v1/units/12': [200, { id: 12, compound: '玉林小区', building: '1栋', unit: '2单元' }],
    'POST /api/v1/me/binding/room': () => {
      tries += 1
      return tries === 1 ? [422, { error: { code: 'error.invalid', message: '请检查', details: [{ field: 'phone_last4', message: '请填 4 位数字。' }] } }]
        : [200, { outcome: 'household' }]
    },
  }, log)
  const comp = await pages.open(wx, 'pages/bind/bind', { scene: encodeURIComponent('unit:12') })
  expect(comp.instance.data.unitId).toBe(12)
  // Before anything is typed, the resident sees which compound and stairwell the code belongs to.
  expect(pages.text(comp.querySelector('.room-form'))).toContain('您扫描的是 玉林小区 1栋 2单元 的二维码')
  await pages.type(comp, '.room', '501')
  await pages.type(comp, '.phone-last4', '567')
  await pages.tap(comp, '.submit-room')
  await pages.until(() => comp.instance.data.error, 'the refusal')
  expect(pages.text(comp.querySelector('.room-form'))).toContain('请填 4 位数字。')
  expect(comp.instance.data.room).toBe('501')
  expect(wx.getStorageSync('gongjian.draft.bind').room).toBe('501')
  await pages.type(comp, '.phone-last4', '5678')
  await pages.tap(comp, '.submit-room')
  await pages.until(() => comp.instance.data.done, 'the binding')
  expect(pages.text(comp)).toContain('家庭成员')
  expect(log.filter((c) => c.method === 'POST' && c.path.endsWith('/room')).pop().data).toEqual({ unit_id: 12, room: '501', phone_last4: '5678' })
  expect(wx.getStorageSync('gongjian.draft.bind')).toBe('')
})
