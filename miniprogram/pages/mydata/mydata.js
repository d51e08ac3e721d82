// What the service holds about me (GET /me/data), and the request to delete it, after a confirmation that
// says what deleting means.
const { page } = require('../../lib/page')
const api = require('../../lib/api')
const wxp = require('../../lib/wx')
const fmt = require('../../lib/format')
const { t } = require('../../lib/i18n')

// Sections of the export shown as lists: the key and what names one entry.
const SECTIONS = [
  ['wishes', (e) => [e.reference, e.text].filter(Boolean).join(' ')],
  ['ballots', (e) => e.vote + '：' + t('vote.' + e.choice)],
  ['survey_answers', (e) => e.survey],
  ['pledges', (e) => (e.amount_fen ? t('vote.share_yuan', { amount: fmt.yuan(e.amount_fen) }) : '') + ' ' + (e.description || '')],
  ['objections', (e) => e.text],
  ['reports', (e) => e.text],
  ['messages', (e) => e.kind],
]

page({
  data: { titleKey: 'mydata.title', account: null, sections: [], deleted: '' },
  methods: {
    async fetch() {
      const data = await api.call('me.data')
      const account = data.account || {}
      const person = data.person || {}
      const place = (home) => (home && typeof home === 'object'
        ? [home.compound, home.building, home.unit, home.room].filter(Boolean).join(' ') : home)
      this.setData({
        account: { home: place(account.home) || t('mydata.none'), as: account.as ? t('home.' + (account.as === 'owner' ? 'owner' : 'household')) : '',
          phone: account.phone || person.phone || t('mydata.none'), name: person.name || '', id: person.id_number || '' },
        sections: SECTIONS.map(([key, line]) => {
          const entries = data[key] || []
          return { key, title: t('mydata.' + key, { n: entries.length }),
            lines: entries.map((e, i) => ({ key: i, text: String(line(e)).trim(), at: fmt.dateTime(e.at || e.sent, this.data.locale) })) }
        }),
      })
    },

    async requestDeletion() {
      if (this.data.busy) return
      const answer = await wxp.showModal({ title: t('mydata.delete_title'), content: t('mydata.delete_text'),
        confirmText: t('mydata.delete_confirm'), cancelText: t('common.cancel'), confirmColor: '#b3261e' })
      if (!answer.confirm) return
      this.setData({ busy: true })
      this.clearError()
      try {
        await api.call('me.delete')
        // The service ended every session of mine: the token on the phone is dropped too.
        wxp.removeStorage(api.TOKEN_KEY)
        this.setData({ busy: false, deleted: t('mydata.deleted'), account: null, sections: [] })
      } catch (error) { this.showError(error) }
    },

    home() { return wxp.redirectTo('/pages/index/index') },
  },
})
