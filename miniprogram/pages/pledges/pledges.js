// My home's pledges and contributions, my compound's totals (pledged and received apart), a new pledge and
// withdrawing one that nothing was received for yet.
const { page } = require('../../lib/page')
const api = require('../../lib/api')
const wxp = require('../../lib/wx')
const fmt = require('../../lib/format')
const { t } = require('../../lib/i18n')

const KINDS = ['money', 'maintenance_fund', 'labour', 'goods']

page({
  data: { titleKey: 'pledge.title', loaded: false, totals: null, entries: [], kinds: [], kind: 'money', amount: '',
    hours: '', description: '', sent: '' },
  methods: {
    onLoad() {
      const kept = this.draft('pledge') || {}
      this.setData({ kind: kept.kind || 'money', amount: kept.amount || '', hours: kept.hours || '',
        description: kept.description || '' })
      return this.load()
    },

    async fetch() {
      const [mine, me] = await Promise.all([api.call('contributions.mine'), api.call('me.get')])
      const money = (fen) => t('vote.share_yuan', { amount: fmt.yuan(fen) })
      const owner = me.kind === 'owner'
      this.setData({
        loaded: true,
        totals: { pledged: money(mine.totals.pledged), received: money(mine.totals.received),
          hours: t('pledge.hours_total', { pledged: mine.totals.hours_pledged, given: mine.totals.hours_given }) },
        entries: (mine.entries || []).map((e) => ({ id: e.id, kind: t('pledge.kind.' + e.kind),
          amount: e.amount !== null && e.amount !== undefined ? money(e.amount) : (e.hours ? t('pledge.hours', { n: e.hours }) : ''),
          description: e.description || '', state: t('pledge.state.' + e.state), pledged: e.state === 'pledged',
          at: fmt.date(e.pledged_at, this.data.locale) })),
        kinds: KINDS.filter((k) => owner || k !== 'maintenance_fund').map((k) => ({ value: k, label: t('pledge.kind.' + k) })),
      })
    },

    keep() {
      const { kind, amount, hours, description } = this.data
      this.keepDraft('pledge', { kind, amount, hours, description })
    },

    chooseKind(event) {
      this.setData({ kind: event.currentTarget.dataset.kind, fieldErrors: {} })
      this.keep()
    },

    onInput(event) {
      this.setData({ [event.currentTarget.dataset.field]: event.detail.value })
      this.keep()
    },

    async pledge() {
      if (this.data.busy) return
      const { kind } = this.data
      const body = { kind }
      if (kind === 'money' || kind === 'maintenance_fund') {
        const fen = fmt.fen(this.data.amount)
        if (fen === null || fen <= 0) { this.setData({ fieldErrors: { amount: t('pledge.bad_amount') } }); return }
        body.amount = fen
      }
      if (kind === 'labour') {
        const hours = fmt.whole(this.data.hours)
        if (hours === null || hours <= 0) { this.setData({ fieldErrors: { hours: t('pledge.bad_hours') } }); return }
        body.hours = hours
      }
      if (this.data.description.trim()) body.description = this.data.description.trim()
      this.setData({ busy: true })
      this.clearError()
      try {
        await api.call('contributions.pledge', {}, body)
        this.dropDraft('pledge')
        this.setData({ busy: false, amount: '', hours: '', description: '', sent: t('pledge.sent') })
        await this.load()
      } catch (error) { this.showError(error) }
    },

    async withdraw(event) {
      if (this.data.busy) return
      const id = Number(event.currentTarget.dataset.id)
      const entry = this.data.entries.find((e) => e.id === id)
      const answer = await wxp.showModal({ title: t('vote.confirm_title'), confirmText: t('pledge.withdraw'),
        cancelText: t('common.cancel'), content: t('pledge.withdraw_text', { what: entry.kind + ' ' + entry.amount }) })
      if (!answer.confirm || this.data.busy) return
      this.setData({ busy: true })
      this.clearError()
      try {
        await api.call('contributions.cancel', { contribution_id: id })
        this.setData({ busy: false, sent: t('pledge.withdrawn') })
        await this.load()
      } catch (error) { this.showError(error) }
    },
  },
})
