// A resident signs in, binds, files a wish with a photo, answers a survey, opens a plan document, casts
// and changes a ballot and sees the receipt: pages driven against the real service and WeChat simulator.
const fs = require('fs')
const { fixture, resident, describeLive, pages } = require('./setup')

const { render, until, text, type, tap } = pages

describeLive('a resident on the real service', () => {
  let seed
  let wx
  let simulate

  beforeAll(() => {
    seed = fixture()
    ;({ wx, simulate } = resident(seed))
  })

  test('signs in with wx.login, reads and accepts the privacy notice, and is asked to link a home', async () => {
    const first = render(simulate, 'pages/index/index')
    await first.loaded
    expect(wx.getStorageSync('gongjian.token').token).toBeTruthy()
    expect(wx.record.navigations).toContain('/pages/privacy/privacy')
    const privacy = render(simulate, 'pages/privacy/privacy')
    await privacy.loaded
    expect(privacy.comp.instance.data.notice.text).toBeTruthy()
    await tap(privacy.comp, '.accept')
    await until(() => privacy.comp.instance.data.done, 'the consent')
    const { comp, loaded } = render(simulate, 'pages/index/index')
    await loaded
    expect(text(comp)).toContain('您还没有绑定房屋')
  })

  test('a wrong binding code is said in a sentence with a next step and the code stays typed', async () => {
    const { comp, loaded } = render(simulate, 'pages/bind/bind')
    await loaded
    await type(comp, '.code', 'WRONG-CODE')
    await tap(comp, '.submit-code')
    await until(() => comp.instance.data.error, 'the error box')
    const box = comp.querySelector('.code-form') && text(comp)
    expect(box).toMatch(/绑定码/)
    expect(comp.instance.data.error.next).toBeTruthy()
    expect(comp.instance.data.code).toBe('WRONG-CODE')
  })

  test('binds with the committee code and sees the flat', async () => {
    const { comp, loaded } = render(simulate, 'pages/bind/bind')
    await loaded
    await type(comp, '.code', seed.binding_code)
    await tap(comp, '.submit-code')
    await until(() => comp.instance.data.done, 'binding')
    expect(text(comp)).toContain(seed.compound)
    expect(text(comp)).toContain(seed.room)
  })

  test('files a wish from the catalogue with two photos and is asked about notifications', async () => {
    wx.settings.media.push([seed.photo], [seed.photo2])
    const { comp, loaded } = render(simulate, 'pages/wish-new/wish-new')
    await loaded
    await until(() => comp.querySelectorAll('.item').length, 'the catalogue')
    expect(text(comp)).toContain('基础类')
    await tap(comp, `.item-${seed.catalogue_code}`)
    await type(comp, '.wish-text', '楼道灯坏了，晚上看不见')
    await tap(comp, '.add-photo')
    await until(() => comp.instance.data.photos.length === 1, 'the first photo')
    await tap(comp, '.add-photo')
    await until(() => comp.instance.data.photos.length === 2, 'the second photo')
    await tap(comp, '.submit')
    await until(() => comp.instance.data.sent, 'the wish to be sent')
    expect(text(comp)).toMatch(/诉求 W\d+ 已交给居委会/)
    await until(() => wx.record.subscribed.length, 'the subscribe question')
    expect(wx.record.subscribed[0]).toEqual(seed.templates)
  })

  test('my wishes show the wish, and its photos come back from the service', async () => {
    const list = render(simulate, 'pages/wishes/wishes')
    await list.loaded
    expect(text(list.comp)).toContain('楼道灯坏了')
    const id = list.comp.instance.data.wishes[0].id
    const { comp, loaded } = render(simulate, 'pages/wish/wish', { id: String(id) })
    await loaded
    expect(comp.instance.data.photos).toHaveLength(2)
    expect(fs.readFileSync(comp.instance.data.photos[0]).equals(fs.readFileSync(seed.photo))).toBe(true)
  })

  test('answers a survey: conditions as answering, the service\'s message under the question, a draft kept', async () => {
    const { comp, loaded } = render(simulate, 'pages/survey/survey', { id: String(seed.survey_id) })
    await loaded
    await until(() => comp.instance.data.sections.length, 'the questions')
    expect(comp.querySelector('.q-lift')).toBeFalsy() // shown only after "yes" to the first question
    await tap(comp, '.q-want .opt-yes')
    await until(() => comp.querySelector('.q-lift'), 'the question on the kind of lift')
    await tap(comp, '.q-lift .opt-b')
    await tap(comp, '.q-how .rate-4')
    await type(comp, '.q-pay .number', '5000000')
    await tap(comp, '.q-grid .cell-r1-good')
    await tap(comp, '.submit')
    await until(() => comp.instance.data.error, 'the refusal')
    // The service names the number out of range and the missing required answer, next to each question.
    expect(comp.querySelector('.q-pay .q-error')).toBeTruthy()
    expect(text(comp.querySelector('.q-words'))).toMatch(/必填|请回答|required/i)
    expect(wx.getStorageSync('gongjian.draft.survey.' + seed.survey_id).answers.how).toBe(4)
    await type(comp, '.q-pay .number', '２０００')
    await type(comp, '.q-words .text', '电梯要无障碍')
    // The photo question: chosen with wx.chooseMedia, uploaded to the service, answered with its name.
    wx.settings.media.push([seed.photo])
    await tap(comp, '.q-snap .add-photo')
    await until(() => comp.querySelector('.q-snap .photo-0'), 'the photo')
    expect(comp.instance.data.answers.snap).toHaveLength(1)
    await tap(comp, '.submit')
    await until(() => comp.instance.data.done || comp.instance.data.error, 'an answer from the service')
    expect(comp.instance.data.fieldErrors).toEqual({})
    expect(text(comp)).toContain('您的回答已提交')
    // Opened again, the photo I gave is fetched from the service with my token and shown.
    const again = render(simulate, 'pages/survey/survey', { id: String(seed.survey_id) })
    await again.loaded
    await until(() => again.comp.querySelector('.q-snap .photo-0 .thumb'), 'my photo from the service')
    const src = again.comp.instance.data.shown[again.comp.instance.data.answers.snap[0]]
    expect(src).not.toBe(seed.photo)
    expect(fs.readFileSync(src).subarray(1, 4).toString()).toBe('PNG')
  })

  test('opens the plan document, casts, changes with a confirmation and sees the receipt', async () => {
    const { comp, loaded } = render(simulate, 'pages/vote/vote', { id: String(seed.vote_id) })
    await loaded
    expect(text(comp)).toContain(seed.vote_title)
    await tap(comp, '.document')
    await until(() => wx.record.opened.length, 'the document to open')
    expect(fs.readFileSync(wx.record.opened[0]).subarray(0, 5).toString()).toBe('%PDF-')
    await tap(comp, '.choice-agree')
    await until(() => comp.instance.data.ballot, 'the receipt')
    expect(wx.record.modals.pop().content).toContain('同意')
    const first = comp.instance.data.ballot.receipt
    expect(text(comp.querySelector('.my-ballot'))).toContain('同意')
    await tap(comp, '.choice-disagree')
    await until(() => comp.instance.data.ballot.choice === 'disagree', 'the changed ballot')
    expect(wx.record.modals.pop().content).toContain('原来选「同意」')
    expect(text(comp.querySelector('.my-ballot'))).toContain('不同意')
    expect(comp.instance.data.ballot.receipt).toBeTruthy()
    expect(first).toBeTruthy()
    fs.writeFileSync(process.env.GONGJIAN_E2E + '.out', JSON.stringify({ receipt: comp.instance.data.ballot.receipt }))
  })
})

describeLive('pledges on the real service', () => {
  test('a pledge typed in yuan is recorded to the fen, counted as pledged not received, and withdrawn', async () => {
    const seed = fixture()
    const { wx, simulate } = resident(seed)
    const { comp, loaded } = render(simulate, 'pages/pledges/pledges')
    await loaded
    await until(() => comp.instance.data.totals, 'the totals')
    expect(text(comp.querySelector('.totals'))).toContain('已认捐、未到账：0.00 元')
    await type(comp, '.amount', '300.07')
    await type(comp, '.description', '加装电梯')
    await tap(comp, '.submit')
    await until(() => comp.instance.data.sent || comp.instance.data.error, 'the pledge')
    expect(comp.instance.data.error).toBe(null)
    await until(() => comp.querySelector('.withdraw'), 'my entry')
    expect(text(comp.querySelector('.totals'))).toContain('已认捐、未到账：300.07 元')
    expect(text(comp.querySelector('.totals'))).toContain('已到账：0.00 元')
    expect(text(comp.querySelector('.mine'))).toContain('出资 300.07 元（已认捐，未到账）')
    await tap(comp, '.withdraw')
    await until(() => !comp.querySelector('.withdraw'), 'the withdrawal')
    expect(wx.record.modals.pop().content).toContain('300.07 元')
    expect(text(comp.querySelector('.mine'))).toContain('已撤回')
    expect(text(comp.querySelector('.totals'))).toContain('已认捐、未到账：0.00 元')
  })
})
