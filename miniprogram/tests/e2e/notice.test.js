// After the committee answered the wish (the service pushed it to WeChat), the resident reads it.
const app = require('../../app.json')
const { fixture, resident, describeLive, pages } = require('./setup')

const { render, until, text, tap } = pages

describeLive('the notice the service pushed', () => {
  test('opens a page of this mini-program', () => {
    const [page, query] = fixture().push_page.split('?')
    expect(app.pages).toContain(page)
    expect(query === undefined || /^id=\d+$/.test(query)).toBe(true)
  })

  test('is on the home page and opens in full from the link the push carries', async () => {
    const seed = fixture()
    const { wx, simulate } = resident(seed)
    const home = render(simulate, 'pages/index/index')
    await home.loaded
    expect(text(home.comp)).toContain(seed.notice_title)
    await tap(home.comp, '.notice-row')
    expect(wx.record.navigations.pop()).toMatch(/^\/pages\/notice\/notice\?id=\d+$/)
    // Opened as WeChat opens it from the push: the page and query the push carries.
    const [page, query] = seed.push_page.split('?')
    const id = (/(?:^|&)id=(\d+)/.exec(query || '') || [])[1]
    const { comp, loaded } = render(simulate, page, id ? { id } : {})
    await loaded
    expect(text(comp)).toContain(seed.notice_text)
    const inbox = render(simulate, 'pages/inbox/inbox')
    await inbox.loaded
    await until(() => inbox.comp.instance.data.notices.length, 'the inbox')
    expect(inbox.comp.instance.data.notices[0].read).toBe(true)
  })
})

describeLive('the answered wish', () => {
  test('opens from my wishes with its whole story, the answer a step of it', async () => {
    const seed = fixture()
    const { wx, simulate } = resident(seed)
    const list = render(simulate, 'pages/wishes/wishes')
    await list.loaded
    await until(() => list.comp.instance.data.wishes.length, 'my wishes')
    await tap(list.comp, '.wish-row')
    const url = wx.record.navigations.pop()
    expect(url).toMatch(/^\/pages\/wish\/wish\?id=\d+$/)
    const { comp, loaded } = render(simulate, 'pages/wish/wish', { id: url.split('=')[1] })
    await loaded
    await until(() => comp.instance.data.story.length, 'the story')
    expect(comp.instance.data.story.map((s) => s.kind)).toContain('answered')
    expect(text(comp.querySelector('.story'))).toContain(comp.instance.data.story[0].text)
    expect(comp.instance.data.story[0].at).toMatch(/月\d+日/)
  })
})

describeLive('my data', () => {
  test('is shown as the service keeps it, and deleted after a confirmation saying what that means', async () => {
    const seed = fixture()
    const { wx, simulate } = resident(seed)
    const { comp, loaded } = render(simulate, 'pages/mydata/mydata')
    await loaded
    await until(() => comp.instance.data.account, 'my data')
    const shown = text(comp)
    expect(shown).toContain(seed.room)
    expect(shown).toContain('楼道灯坏了')
    expect(shown).toContain(seed.vote_title + '：不同意')
    await tap(comp, '.delete')
    await until(() => comp.instance.data.deleted || comp.instance.data.error, 'the deletion')
    expect(comp.instance.data.error).toBe(null)
    expect(wx.record.modals.pop().content).toContain('投票记录按法律保留')
    expect(text(comp)).toContain('您的数据已删除')
    // Signed in again, the same WeChat user is a stranger with nothing linked.
    const home = render(simulate, 'pages/index/index')
    await home.loaded
    expect(home.comp.instance.data.me.bound).toBe(false)
  })
})
