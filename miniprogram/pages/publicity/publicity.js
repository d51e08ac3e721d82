// What is in publicity (公示) for my home now, each with the time left to object.
const { page } = require('../../lib/page')
const api = require('../../lib/api')
const fmt = require('../../lib/format')
const { t, countdown } = require('../../lib/i18n')


page({
  data: { titleKey: 'publicity.title', loaded: false, periods: [] },
  methods: {
    async fetch() {
      const periods = await api.call('publicity.list')
      this.setData({ loaded: true, periods: periods.map((p) => ({ id: p.id, title: p.title,
        kind: t('publicity.kind.' + p.subject_kind), left: countdown(p.seconds_left),
        until: t('publicity.until', { when: fmt.dateTime(p.ends_at, this.data.locale) }),
        objections: t('publicity.objection_count', { n: (p.objections || []).length }) })) })
    },
  },
})
