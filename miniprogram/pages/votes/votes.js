// Votes open to me now.
const { page } = require('../../lib/page')
const api = require('../../lib/api')
const fmt = require('../../lib/format')
const { t } = require('../../lib/i18n')

page({
  data: { titleKey: 'nav.votes', votes: [], loaded: false },
  methods: {
    async fetch() {
      const votes = await api.call('votes.list')
      this.setData({ loaded: true, votes: votes.map((v) => ({ id: v.id, title: v.title,
        until: t('vote.until', { when: fmt.dateTime(v.closes_at, this.data.locale) }) })) })
    },
  },
})
