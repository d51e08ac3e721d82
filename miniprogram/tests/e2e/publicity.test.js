// A published vote result on public notice: the resident finds it with its countdown, objects with words and
// two photos; once the committee answered, the published record shows the objection and the answer, no name.
const { fixture, resident, describeLive, pages } = require('./setup')

const { render, until, text, type, tap } = pages

describeLive('publicity on the real service', () => {
  test('lists the result with its countdown, or shows the committee\'s answer once given', async () => {
    const seed = fixture()
    const { wx, simulate } = resident(seed)
    // Home says what is on public notice for me, with the time left.
    const home = render(simulate, 'pages/index/index')
    await home.loaded
    await until(() => home.comp.querySelector('.publicity-row'), 'the publicity on the home page')
    expect(text(home.comp.querySelector('.publicity-row'))).toMatch(/还剩 [67] 天 \d+ 小时/)
    const list = render(simulate, 'pages/publicity/publicity')
    await list.loaded
    await until(() => list.comp.instance.data.loaded, 'the list')
    const row = text(list.comp.querySelector('.period-' + seed.publicity_id))
    expect(row).toContain('投票结果公示')
    expect(row).toMatch(/还剩 [67] 天 \d+ 小时/)
    await tap(list.comp, '.period-' + seed.publicity_id)
    expect(wx.record.navigations.pop()).toBe('/pages/publicity-item/publicity-item?id=' + seed.publicity_id)
    const { comp, loaded } = render(simulate, 'pages/publicity-item/publicity-item', { id: String(seed.publicity_id) })
    await loaded
    await until(() => comp.instance.data.period, 'the record')
    expect(text(comp)).toContain(seed.vote_title)

    if (seed.phase === 'object') {
      expect(text(comp)).toContain('还没有人提出异议')
      wx.settings.media.push([seed.photo, seed.photo2])
      await type(comp, '.objection-input', '电梯井挡住我家窗户')
      await tap(comp, '.add-photo')
      await until(() => comp.instance.data.photos.length === 2, 'two photos')
      await tap(comp, '.submit')
      await until(() => comp.instance.data.sent || comp.instance.data.error, 'the objection')
      expect(comp.instance.data.error).toBe(null)
      await until(() => comp.querySelector('.objection-1'), 'the objection in the record')
      expect(text(comp.querySelector('.objection-1'))).toContain('附照片 2 张')
      expect(text(comp.querySelector('.objection-1'))).toContain('居委会还没有答复')
    } else {
      const objection = text(comp.querySelector('.objection-1'))
      expect(objection).toContain('异议 1：电梯井挡住我家窗户')
      expect(objection).toContain('电梯井将移到楼梯间一侧。')
      expect(objection).not.toContain(seed.room)
    }
  })
})
