// One vote: the matter in plain words, the plan documents, whether choices will be published, my own share
// of a lift's cost (subsidy and provident fund deducted), the flats this ballot is for, my household's
// ballot with a confirmation before casting or changing it, my receipt and its check.
const { page } = require('../../lib/page')
const api = require('../../lib/api')
const wxp = require('../../lib/wx')
const fmt = require('../../lib/format')
const subscribe = require('../../lib/subscribe')
const { t } = require('../../lib/i18n')

const CHOICES = ['agree', 'disagree', 'abstain']

page({
  data: { titleKey: 'vote.title', vote: null, ballot: null, choices: [], checked: '', share: null, picks: [] },
  idFromQuery: true,
  methods: {
    async fetch() {
      const votes = await api.call('votes.list')
      let v = votes.find((item) => item.id === this.data.id)
      let result = null
      if (!v) {
        // Not open any more: the published result, when it has been published (404 otherwise).
        const published = await api.call('votes.result', { vote_id: this.data.id })
        v = published.vote
        result = published.result
      }
      const locale = this.data.locale
      const dwellings = v.dwellings || []
      this.setData({
        vote: { title: v.title, text: v.text, until: t('vote.until', { when: fmt.dateTime(v.closes_at, locale) }),
          details: v.publish_details ? t('vote.details_published') : t('vote.details_private'),
          documents: (v.documents || []).map((d) => ({ file: d.file, title: d.title })),
          flats: this.flatsOf(v),
          paperRule: v.paper_rule || '',
          published: v.state === 'published',
          publicity: v.publicity_ends_at ? t('vote.publicity', { days: fmt.daysLeft(v.publicity_ends_at) }) : '' },
        choices: v.state === 'open' ? CHOICES.map((c) => ({ value: c, label: t('vote.' + c) })) : [],
        result: result ? this.resultView(result) : null,
        // An owner of several flats chooses which ones this ballot is for (all of them unless changed).
        picks: v.state === 'open' && dwellings.length > 1 ? dwellings.map((d) => ({ id: d.dwelling_id,
          label: d.address || String(d.dwelling_id), on: true })) : [],
      })
      await this.loadShare()
      await this.loadBallot()
    },

    // Every flat I may cast for, with the choice the service holds for it.
    flatsOf(v) {
      return (v.dwellings || []).map((d) => (d.address || String(d.dwelling_id)) +
        (d.choice ? '（' + t('vote.' + d.choice) + '）' : ''))
    },

    // After a ballot (perhaps for some of my flats only), the flats' choices as the service now holds them.
    // The ballot is cast and its receipt shown already: a failure here only leaves the list as it was.
    async refreshFlats() {
      let v
      try {
        v = (await api.call('votes.list')).find((item) => item.id === this.data.id)
      } catch (error) { return }
      if (v && this.data.vote) this.setData({ 'vote.flats': this.flatsOf(v) })
    },

    resultView(r) {
      const line = (choice) => t('vote.count_line', { label: t('vote.' + choice), heads: r[choice + '_heads'], area: r[choice + '_area'] })
      return { verdict: r.approved ? t('vote.approved') : t('vote.rejected'), reason: r.reason,
        lines: [t('vote.total_line', { heads: r.participating_heads, total: r.total_heads }), line('agree'), line('disagree'), line('abstain')] }
    },

    // A lift vote tells each owner their own share before they cast; other votes have none (404).
    async loadShare() {
      try {
        const s = await api.call('lifts.share', { vote_id: this.data.id })
        const yuan = (fen) => t('vote.share_yuan', { amount: fmt.yuan(fen) })
        this.setData({ share: { pay: yuan(s.share), room: s.room, floor: s.floor,
          total: yuan(s.total_cost), subsidy: yuan(s.subsidy), fund: yuan(s.provident_fund), net: yuan(s.net_cost),
          rule: s.min_owner_share ? t('vote.share_rule', { share: s.min_owner_share }) : '',
          affected: s.affected ? t('vote.share_affected') : '' } })
      } catch (error) {
        if (error.status !== 404 && error.status !== 403) throw error
        this.setData({ share: null })
      }
    },

    togglePick(event) {
      const id = Number(event.currentTarget.dataset.id)
      this.setData({ picks: this.data.picks.map((p) => (p.id === id ? Object.assign({}, p, { on: !p.on }) : p)) })
    },

    async loadBallot() {
      try {
        this.showBallot(await api.call('votes.ballot', { vote_id: this.data.id }))
      } catch (error) {
        if (error.status !== 404) throw error
        this.setData({ ballot: null })
      }
    },

    showBallot(b) {
      const flats = (b.flats || []).map((f) => (typeof f === 'object' ? f.address || f.room || String(f.id) : String(f)))
      this.setData({ ballot: { choice: b.choice, label: t('vote.' + b.choice), receipt: b.receipt, flats, head: b.chain_head || '',
        channel: t('vote.channel.' + b.channel), at: fmt.dateTime(b.cast_at, this.data.locale) } })
    },

    async openDocument(event) {
      const { file } = event.currentTarget.dataset
      this.clearError()
      try {
        const path = await api.download('files.get', { name: file })
        const type = String(file).split('.').pop()
        await wxp.openDocument({ filePath: path, fileType: type, showMenu: true })
      } catch (error) { this.showError(error) }
    },

    async cast(event) {
      const choice = event.currentTarget.dataset.choice
      if (this.data.busy) return
      const label = t('vote.' + choice)
      const old = this.data.ballot
      const picks = this.data.picks
      const chosen = picks.filter((p) => p.on)
      const some = picks.length && chosen.length < picks.length
      if (picks.length && !chosen.length) {
        this.setData({ error: { text: t('vote.pick_none'), next: t('vote.pick_next'), action: 'none' } })
        return
      }
      if (old && old.choice === choice && !some) return
      const content = (old ? t('vote.change_text', { old: old.label, choice: label }) : t('vote.confirm_text', { choice: label })) +
        (some ? t('vote.for_flats', { flats: chosen.map((p) => p.label).join('、') }) : '')
      const answer = await wxp.showModal({ title: t('vote.confirm_title'), confirmText: t('common.confirm'),
        cancelText: t('common.cancel'), content })
      if (!answer.confirm) return
      this.setData({ busy: true })
      this.clearError()
      try {
        const body = some ? { choice, dwelling_ids: chosen.map((p) => p.id) } : { choice }
        this.showBallot(await api.call('votes.cast', { vote_id: this.data.id }, body))
        this.setData({ busy: false, checked: '' })
        await this.refreshFlats()
        await subscribe.askAndReport()
      } catch (error) { this.showError(error) }
    },

    async checkReceipt() {
      this.clearError()
      try {
        const check = await api.call('votes.receipt', { vote_id: this.data.id, receipt: this.data.ballot.receipt })
        this.setData({ checked: check.counted ? t('vote.counted', { choice: t('vote.' + check.choice) }) : t('vote.not_counted') })
      } catch (error) { this.showError(error) }
    },

    copyReceipt() { if (this.data.ballot) wxp.setClipboardData(this.data.ballot.receipt) },
  },
})
