// An owner of two flats links a home as a household member, verifies as the owner with the ID and property
// certificate numbers, sees both flats in the vote and casts once for both: real service, real simulator.
const { fixture, resident, describeLive, pages } = require('./setup')

const { render, until, text, type, tap } = pages

describeLive('an owner of two flats', () => {
  test('verifies and casts once for both flats', async () => {
    const seed = fixture()
    const { wx, simulate } = resident(seed)
    const home = render(simulate, 'pages/index/index')
    await home.loaded
    const privacy = render(simulate, 'pages/privacy/privacy')
    await privacy.loaded
    await tap(privacy.comp, '.accept')
    await until(() => privacy.comp.instance.data.done, 'the consent')

    const bind = render(simulate, 'pages/bind/bind', { scene: encodeURIComponent('unit:' + seed.unit_id) })
    await bind.loaded
    // The poster's code names the compound and the stairwell before anything is typed.
    await until(() => bind.comp.instance.data.scanned, 'the stairwell named')
    expect(text(bind.comp.querySelector('.room-form'))).toContain(seed.compound)
    expect(text(bind.comp.querySelector('.room-form'))).toContain('您扫描的是')
    await type(bind.comp, '.room', '501')
    await type(bind.comp, '.phone-last4', seed.phone_last4)
    await tap(bind.comp, '.submit-room')
    await until(() => bind.comp.instance.data.done, 'the household binding')
    expect(text(bind.comp)).toContain('家庭成员')

    const verify = render(simulate, 'pages/bind/bind')
    await verify.loaded
    await type(verify.comp, '.id-number', seed.id_number)
    await type(verify.comp, '.certificate-no', 'WRONG-0000')
    await tap(verify.comp, '.submit-owner')
    await until(() => verify.comp.instance.data.error, 'the refusal')
    expect(verify.comp.instance.data.fieldErrors.certificate_no).toBeTruthy()
    expect(text(verify.comp.querySelector('.owner-form'))).toContain(verify.comp.instance.data.fieldErrors.certificate_no)
    await type(verify.comp, '.certificate-no', seed.certificate_no)
    await tap(verify.comp, '.submit-owner')
    await until(() => verify.comp.instance.data.done, 'the verification')
    expect(text(verify.comp)).toContain('501')
    expect(text(verify.comp)).toContain('502')
    expect(JSON.stringify([...wx.storage.values()])).not.toContain(seed.id_number)

    const vote = render(simulate, 'pages/vote/vote', { id: String(seed.vote_id) })
    await vote.loaded
    expect(vote.comp.instance.data.vote.flats).toHaveLength(2)
    // The lift's cost for my home, before casting: 200,000.00 yuan to share, to the fen.
    const share = text(vote.comp.querySelector('.share'))
    expect(share).toContain(seed.share_yuan + ' 元')
    expect(share).toContain('总造价：300,000.01 元')
    expect(share).toContain('减去政府补贴：100,000.00 元')
    expect(share).toContain('减去公积金：0.01 元')
    expect(share).toContain('由业主分摊：200,000.00 元')
    // First for 502 only, then for both.
    await tap(vote.comp, '.pick-' + vote.comp.instance.data.picks.find((p) => p.id !== seed.flat_502).id)
    await tap(vote.comp, '.choice-disagree')
    await until(() => vote.comp.instance.data.ballot, 'the ballot for 502')
    expect(wx.record.modals.pop().content).toContain('只为')
    expect(vote.comp.instance.data.ballot.flats).toHaveLength(1)
    expect(vote.comp.instance.data.ballot.flats[0]).toContain('502')
    // The list of my flats shows 502's choice from the service, 501 still without one, without reopening.
    await until(() => vote.comp.instance.data.vote.flats.some((f) => f.includes('502') && f.includes('不同意')), 'the flats refreshed')
    expect(vote.comp.instance.data.vote.flats.find((f) => f.includes('501'))).not.toContain('（')
    await tap(vote.comp, '.pick-' + vote.comp.instance.data.picks.find((p) => !p.on).id)
    await tap(vote.comp, '.choice-agree')
    await until(() => vote.comp.instance.data.ballot.choice === 'agree', 'the ballot for both')
    await until(() => vote.comp.instance.data.ballot, 'the receipt')
    const ballot = vote.comp.instance.data.ballot
    expect(ballot.flats).toHaveLength(2)
    await until(() => vote.comp.instance.data.vote.flats.every((f) => f.includes('（同意）')), 'both flats refreshed')
    expect(ballot.head).toBeTruthy()
    expect(text(vote.comp.querySelector('.my-ballot'))).toContain('502')
  })
})
