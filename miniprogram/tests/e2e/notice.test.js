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
